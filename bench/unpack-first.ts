/**
 * `node dist/bench/unpack-first.js [--threads N] [--other-dist DIR]`: how long a fresh
 * unpack thread (server/storage/unpack-thread.ts) takes over its first uploads of the
 * bench's small project, against its later ones. A thread is fresh at the broker's start
 * and after every idle spell, so its first job is the first update after a pause. N
 * times, starts a thread for uploads sent whole and then one for uploads in two pieces
 * (one after another, each given 1.5 s to start and rehearse), times three unpacks on
 * each, and prints the median of each position; with --other-dist, a second build's
 * threads alternate with this one's (an A/B).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { smallProjectZip } from './project.js';
import { median } from './stats.js';

type ThreadModule = typeof import('../server/storage/unpack-thread.js');

const { values } = parseArgs({ options: { threads: { type: 'string', default: '5' }, 'other-dist': { type: 'string' } } });
const builds = [fileURLToPath(new URL('../', import.meta.url)), ...(values['other-dist'] ? [values['other-dist']] : [])];
const modules = await Promise.all(builds.map((dist) => import(pathToFileURL(join(dist, 'server/storage/unpack-thread.js')).href) as Promise<ThreadModule>));
const limits = { maxUnpackedBytes: 64 * 1024 * 1024, maxEntries: 10_000 };
const zip = smallProjectZip();
const dir = mkdtempSync(join(os.tmpdir(), 'rc-unpack-first-'));
const POSITIONS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** [build][how][position] -> ms */
const times = builds.map(() => ({ whole: [...Array(POSITIONS)].map(() => [] as number[]), pieces: [...Array(POSITIONS)].map(() => [] as number[]) }));
let job = 0;
try {
  for (let n = 0; n < Number(values.threads); n++) {
    for (const [b, { UnpackThread }] of modules.entries()) {
      for (const how of ['whole', 'pieces'] as const) {
        const thread = new UnpackThread();
        thread.warm();
        await sleep(1500);
        for (let k = 0; k < POSITIONS; k++) {
          const target = join(dir, String(job++));
          const started = performance.now();
          if (how === 'whole') await thread.unpack(Buffer.from(zip), target, limits, 30_000);
          else {
            const upload = thread.open(zip.length, target, limits);
            upload.append(Buffer.from(zip.subarray(0, zip.length >> 1)));
            upload.append(Buffer.from(zip.subarray(zip.length >> 1)));
            await thread.unpack(upload, target, limits, 30_000);
          }
          times[b]![how][k]!.push(performance.now() - started);
          await sleep(300);
        }
        await thread.close();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const [b, t] of times.entries()) {
  for (const how of ['whole', 'pieces'] as const) {
    const cells = t[how].map((ms, k) => `${k === 0 ? 'first' : `#${k + 1}`} ${median(ms).toFixed(1)} ms`).join(', ');
    console.log(`${builds[b]}: ${how}, medians over ${values.threads} fresh threads: ${cells}`);
  }
}
