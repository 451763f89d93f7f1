/**
 * `node dist/bench/unpack-files.js [--files N] [--rounds R] [--other-dist DIR]`: what a
 * project of many small files costs to unpack (server/storage/unpack.ts, in this
 * process: the unpack thread runs the same function). A ZIP of N deflated files of
 * ~1.6 KB in 50 folders, unpacked whole R times; prints, per round, the wall time and
 * the process's CPU, user and system apart (the system part is the file system's own
 * work of creating N files). With --other-dist, a second build's unpack alternates with
 * this one's (an A/B).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type AdmZipModule from 'adm-zip';
import { requireCjs } from '../ipc/cjs.js';

type UnpackModule = typeof import('../server/storage/unpack.js');
const AdmZip = requireCjs('adm-zip') as typeof AdmZipModule;

const { values } = parseArgs({ options: { files: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' }, 'other-dist': { type: 'string' } } });
const files = Number(values.files);
const rounds = Number(values.rounds);
const builds = [fileURLToPath(new URL('../', import.meta.url)), ...(values['other-dist'] ? [values['other-dist']] : [])];
const modules = await Promise.all(builds.map((dist) => import(pathToFileURL(join(dist, 'server/storage/unpack.js')).href) as Promise<UnpackModule>));

const archive = new AdmZip();
for (let i = 0; i < files; i++) archive.addFile(`d${i % 50}/f${i}.txt`, Buffer.from(`line ${i} `.repeat(200)));
const zip = archive.toBuffer();
const limits = { maxUnpackedBytes: 1 << 30, maxEntries: Math.max(10_000, files) };
const dir = mkdtempSync(join(os.tmpdir(), 'rc-unpack-files-'));
console.log(`a ZIP of ${files} files (${(zip.length / 1024).toFixed(0)} KiB), unpacked whole`);
try {
  for (let round = 1; round <= rounds; round++) {
    for (const [b, m] of modules.entries()) {
      const target = join(dir, `r${round}-b${b}`);
      const cpu = process.cpuUsage();
      const t = performance.now();
      await m.unpackZip(Buffer.from(zip), target, limits);
      const ms = performance.now() - t;
      const used = process.cpuUsage(cpu);
      console.log(`round ${round}, ${b === 0 ? 'this build' : 'other build'}: ${ms.toFixed(0)} ms; CPU user ${(used.user / 1000).toFixed(0)} ms, system ${(used.system / 1000).toFixed(0)} ms`);
      rmSync(target, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
