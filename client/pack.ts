/**
 * Pack a project folder into the ZIP the broker's `update` takes: the seed's
 * `zip -r`, with the folder's contents at the ZIP root, minus the folders no
 * robot needs, and only if the folder holds an entry module.
 */
import AdmZip from 'adm-zip';
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { ENTRY_MODULES as ENTRY_KINDS } from '../ipc/protocol.js';
import { PackError } from './errors.js';

export { PackError };

/** Entry modules in the order the worker looks for them (the one list, in ipc/protocol.ts). */
export const ENTRY_MODULES: readonly string[] = ENTRY_KINDS.map(([entry]) => entry);

/** Folders never packed: installed dependencies, VCS data, Python bytecode. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git', '__pycache__']);

export interface PackedProject {
  zip: Buffer;
  /** The entry module found at the folder's root. */
  entry: string;
  /** Packed files, relative to the folder, `/`-separated, sorted. */
  files: string[];
  /** Uncompressed bytes packed. */
  bytes: number;
}

export function findEntry(dir: string): string | null {
  for (const entry of ENTRY_MODULES) {
    try {
      if (statSync(join(dir, entry)).isFile()) return entry;
    } catch {
      // not there: try the next one
    }
  }
  return null;
}

export interface PackOptions {
  /** Absolute paths never packed (the output ZIP when it is written inside the folder). */
  exclude?: string[];
}

/** ZIP `dir`'s contents. Symlinked files are packed as their content; symlinked folders are skipped (no cycles). */
export function packProject(dir: string, options: PackOptions = {}): PackedProject {
  const root = resolve(dir);
  let info;
  try {
    info = statSync(root);
  } catch {
    throw new PackError('E_NOT_FOUND', `${dir}: no such folder`);
  }
  if (!info.isDirectory()) throw new PackError('E_NOT_FOUND', `${dir}: not a folder`);
  const entry = findEntry(root);
  if (!entry) throw new PackError('E_NO_ENTRY', `${dir}: no entry module; a project needs one of ${ENTRY_MODULES.join(', ')} at its root`);

  const exclude = new Set((options.exclude ?? []).map((p) => resolve(p)));
  const zip = new AdmZip();
  const files: string[] = [];
  let bytes = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (exclude.has(path)) continue;
      const link = lstatSync(path);
      const target = link.isSymbolicLink() ? safeStat(path) : link;
      if (!target) continue; // a dangling link
      if (target.isDirectory()) {
        if (!link.isSymbolicLink() && !SKIPPED_DIRS.has(name)) walk(path);
      } else if (target.isFile()) {
        const content = readFileSync(path);
        const rel = relative(root, path).split(sep).join('/');
        zip.addFile(rel, content);
        files.push(rel);
        bytes += content.length;
      }
    }
  };
  walk(root);
  return { zip: zip.toBuffer(), entry, files, bytes };
}

function safeStat(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** What `update` accepts: ZIP bytes, a path to a .zip file, or a path to a project folder (packed). */
export type ProjectSource = Buffer | Uint8Array | ArrayBuffer | string;

/** The ZIP bytes of a project source. */
export async function zipOf(source: ProjectSource): Promise<Buffer> {
  if (typeof source !== 'string') {
    if (source instanceof ArrayBuffer) return Buffer.from(source);
    return Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  }
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new PackError('E_NOT_FOUND', `${source}: no such file or folder`);
  }
  return info.isDirectory() ? packProject(source).zip : readFile(source);
}
