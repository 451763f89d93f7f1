/**
 * Safe ZIP extraction. Every entry is checked before anything is written; sizes
 * are enforced while inflating, whatever the headers declare; every path is
 * proved to stay inside the target folder.
 */
import AdmZip from 'adm-zip';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Transform, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { BrokerError } from '../ipc/errors.js';

export interface UnpackLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}
export interface UnpackResult {
  files: number;
  bytes: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;

/** Why an entry name is unsafe, or null when it is fine. */
export function unsafeReason(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'NUL byte in name';
  if (name.includes('\\')) return 'backslash in path';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'drive letter';
  if (name.split('/').some((part) => part === '..')) return '".." in path';
  return null;
}

/** The Unix file type from the entry's external attributes (0 when the ZIP was made without them). */
function fileType(entry: AdmZip.IZipEntry): number {
  return (entry.header.attr >>> 16) & S_IFMT;
}

function openZip(zip: Buffer): AdmZip {
  try {
    return new AdmZip(zip);
  } catch (err) {
    throw new BrokerError('E_INVALID_ZIP', `not a readable ZIP archive: ${(err as Error).message}`);
  }
}

/** Check every entry; throws the first problem found. Nothing is written. */
function checkEntries(entries: AdmZip.IZipEntry[], limits: UnpackLimits): void {
  if (entries.length > limits.maxEntries) {
    throw new BrokerError('E_ZIP_LIMIT', `the ZIP has ${entries.length} entries; the limit is ${limits.maxEntries}`, {
      entries: entries.length,
      limit: limits.maxEntries,
    });
  }
  for (const entry of entries) {
    const reason = unsafeReason(entry.entryName);
    if (reason) throw new BrokerError('E_UNSAFE_ZIP', `unsafe entry "${entry.entryName}": ${reason}`, { entry: entry.entryName, reason });
    const type = fileType(entry);
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
      const kind = type === 0o120000 ? 'symlink' : 'device, fifo or socket';
      throw new BrokerError('E_UNSAFE_ZIP', `unsafe entry "${entry.entryName}": ${kind}`, { entry: entry.entryName, reason: kind });
    }
    const method = entry.header.method;
    if (!entry.isDirectory && method !== METHOD_STORED && method !== METHOD_DEFLATED) {
      throw new BrokerError('E_INVALID_ZIP', `entry "${entry.entryName}" uses unsupported compression method ${method}`);
    }
  }
}

/** Unpack `zip` into the empty folder `target`. */
export async function unpackZip(zip: Buffer, target: string, limits: UnpackLimits): Promise<UnpackResult> {
  const archive = openZip(zip);
  let entries: AdmZip.IZipEntry[];
  try {
    entries = archive.getEntries();
  } catch (err) {
    throw new BrokerError('E_INVALID_ZIP', `not a readable ZIP archive: ${(err as Error).message}`);
  }
  checkEntries(entries, limits);

  const root = resolve(target);
  let bytes = 0;
  let files = 0;
  for (const entry of entries) {
    const path = resolve(root, entry.entryName);
    if (path !== root && !path.startsWith(root + sep)) {
      throw new BrokerError('E_UNSAFE_ZIP', `entry "${entry.entryName}" resolves outside the project`, { entry: entry.entryName });
    }
    if (entry.isDirectory) {
      await mkdir(path, { recursive: true });
      continue;
    }
    await mkdir(dirname(path), { recursive: true });
    const budget = limits.maxUnpackedBytes - bytes;
    bytes += await writeEntry(entry, path, budget, limits.maxUnpackedBytes);
    files++;
  }
  return { files, bytes };
}

/** Inflate one entry to `path`, failing as soon as it passes `budget` bytes. */
async function writeEntry(entry: AdmZip.IZipEntry, path: string, budget: number, limit: number): Promise<number> {
  const compressed = entry.getCompressedData();
  let written = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      written += chunk.length;
      if (written > budget) {
        done(new BrokerError('E_ZIP_LIMIT', `the ZIP unpacks to more than ${limit} bytes`, { limit, entry: entry.entryName }));
      } else {
        done(null, chunk);
      }
    },
  });
  const source = Readable.from([compressed]);
  try {
    if (entry.header.method === METHOD_DEFLATED) {
      await pipeline(source, createInflateRaw(), counter, createWriteStream(path));
    } else {
      await pipeline(source, counter, createWriteStream(path));
    }
  } catch (err) {
    if (err instanceof BrokerError) throw err;
    throw new BrokerError('E_INVALID_ZIP', `entry "${entry.entryName}" is corrupt: ${(err as Error).message}`, { entry: entry.entryName });
  }
  return written;
}

