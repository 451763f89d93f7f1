/**
 * The bench's robot project, uploaded by ZIP: `bench.echo(x)`, `bench.sleep(ms)`
 * (async), `bench.flood(n)` (pushes n `tick` events numbered 0..n-1). The big
 * upload is the same project plus an incompressible blob stored as is, so the ZIP
 * is as big on the wire as on disk.
 */
import AdmZip from 'adm-zip';
import { randomBytes } from 'node:crypto';

export const BENCH_OBJECT = 'bench';

const MAIN_JS = `'use strict';
exports.${BENCH_OBJECT} = {
  echo(x) { return x; },
  async sleep(ms) { await new Promise((r) => setTimeout(r, ms)); return null; },
  flood(n) { for (let i = 0; i < n; i++) pushMessage('tick', i); return n; },
};
`;

/** The same `bench.echo` in Python (the Python figures compare it with the JavaScript one). */
const MAIN_PY = `class Bench:
    def echo(self, x):
        return x


${BENCH_OBJECT} = Bench()
`;

export function pythonProjectZip(): Buffer {
  const zip = new AdmZip();
  zip.addFile('main.py', Buffer.from(MAIN_PY));
  return zip.toBuffer();
}

export function smallProjectZip(): Buffer {
  const zip = new AdmZip();
  zip.addFile('main.js', Buffer.from(MAIN_JS));
  return zip.toBuffer();
}

/** The bench project plus `blob.bin`: a ZIP of `mb` MiB in total, stored (not deflated). */
export function bigProjectZip(mb: number): Buffer {
  const zip = new AdmZip();
  zip.addFile('main.js', Buffer.from(MAIN_JS));
  const blobBytes = Math.max(0, Math.round(mb * 1024 * 1024) - 1024);
  zip.addFile('blob.bin', randomBytes(blobBytes));
  zip.getEntry('blob.bin')!.header.method = 0;
  return zip.toBuffer();
}
