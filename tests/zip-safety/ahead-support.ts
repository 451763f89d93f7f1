/** Unpacking ahead, driven by hand: an archive arriving in pieces, and what unpacking gives, to compare with unpacking it whole. */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UnpackAhead } from '../../dist/server/storage/unpack-ahead.js';
import type { UnpackLimits, UnpackResult } from '../../dist/server/storage/unpack.js';
import { inTempDir } from '../helpers/temp-dirs.js';

export const LIMITS: UnpackLimits = { maxUnpackedBytes: 4 << 20, maxEntries: 100 };

/** Every file and folder under `root`: a folder as "dir", a file as its mode and content hash. */
export function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) {
        out[relative(root, path)] = 'dir';
        visit(path);
      } else {
        out[relative(root, path)] = `${(st.mode & 0o777).toString(8)} ${createHash('sha1').update(readFileSync(path)).digest('hex')}`;
      }
    }
  };
  visit(root);
  return out;
}

/** What unpacking into a fresh, empty folder gives: the result and the files, or the error's code and details. */
export function outcome(unpack: (target: string) => Promise<UnpackResult>): Promise<unknown> {
  return inTempDir('rc-ahead-', async (dir) => {
    const target = join(dir, 'project');
    mkdirSync(target);
    try {
      const result = await unpack(target);
      return { result, files: tree(target) };
    } catch (err) {
      const e = err as { code?: string; details?: unknown; message?: string };
      return { code: e.code ?? e.message, details: e.details };
    }
  });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Unpack `zip` ahead while it arrives in pieces of `sizes` (cycled), a turn of the event loop between pieces; then finish. */
export async function unpackAhead(zip: Buffer, sizes: number[], target: string, limits = LIMITS): Promise<UnpackResult> {
  const ahead = new UnpackAhead(zip.length, target, limits);
  for (let at = 0, i = 0; at < zip.length; i++) {
    const end = Math.min(zip.length, at + Math.max(1, sizes[i % sizes.length] ?? zip.length));
    ahead.arrived(zip.subarray(at, end));
    at = end;
    await turn();
  }
  return ahead.finish();
}
