/**
 * Safe ZIP extraction, in three steps so that nothing is written until the whole
 * archive has been proved safe:
 *
 * 1. plan: the entry count (read from the end record, before any entry is parsed),
 *    every name, file type, compression method and the sizes the headers declare
 *    (their sum within the limit), and each local header agreeing with the central
 *    directory (a reader that trusts the other one must not see another archive);
 * 2. verify: every entry is inflated (nothing kept, nothing written), stopping as soon
 *    as it passes its declared size, so its real size must be the declared one, and
 *    each CRC is checked; a small entry in one call, a big one streamed into a counter
 *    (inflate.ts);
 * 3. write: into the empty `target` folder, counting again, files created exclusively.
 *    A full disk (ENOSPC, EDQUOT) is E_DISK_FULL; the caller discards the folder.
 *
 * A ZIP bomb therefore costs CPU for at most `maxUnpackedBytes` of inflating (a
 * lying one, its declared size), about a MiB of memory at a time and no disk at all.
 *
 * An upload in pieces is also unpacked while it arrives (unpack-ahead.ts); the entries
 * written that way are then checked against this plan like any other, and are the
 * only ones step 3 skips.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type AdmZipModule from 'adm-zip';
import { requireCjs } from '../../ipc/cjs.js';
import { BrokerError } from '../../ipc/errors.js';
import { normalize, unsafeReason } from './entry-names.js';
import { INFLATE_CHUNK, inflateData, inflateSmall, SMALL_ENTRY_BYTES } from './inflate.js';
import { cleanMessage, quote, sizeMismatch, tooLarge, tooManyEntries, unsafe, writeError } from './unpack-errors.js';
import { crc32, FLAG_DESCRIPTOR, FLAG_ENCRYPTED, LOCAL_HEADER_BYTES, METHOD_DEFLATED, METHOD_STORED, ZIP64_MARK } from './zip-format.js';

const AdmZip = requireCjs('adm-zip') as typeof AdmZipModule;

export interface UnpackLimits {
  /** Bytes all entries may inflate to, together. */
  maxUnpackedBytes: number;
  /** Entries (files and folders) the archive may hold. */
  maxEntries: number;
}
export interface UnpackResult {
  files: number;
  bytes: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** A file's mode unless the ZIP marks it executable. */
export const FILE_MODE = 0o644;

export interface PlannedEntry {
  entry: AdmZipModule.IZipEntry;
  /** Normalized relative path; never empty for a file. */
  path: string;
  dir: boolean;
  /** Unix permission bits to create the file with. */
  mode: number;
}

/** Unpack `zip` into the empty folder `target`. Nothing is written unless the whole archive passes. */
export async function unpackZip(zip: Buffer, target: string, limits: UnpackLimits): Promise<UnpackResult> {
  return unpackPlanned(planEntries(zip, limits), target);
}

/**
 * Verify, then write, the entries of `plan` into `target`, except those in `writtenAhead`:
 * files already written there from the same bytes, their sizes and CRCs found to be the
 * ones the central directory declares (unpack-ahead.ts). Those only get their mode.
 */
export async function unpackPlanned(plan: PlannedEntry[], target: string, writtenAhead: ReadonlySet<PlannedEntry> = new Set()): Promise<UnpackResult> {
  const root = resolve(target);
  const rest = plan.filter((p) => !writtenAhead.has(p));
  const step = stepper();
  for (const { entry, dir } of rest) {
    if (dir) continue;
    await verifyEntry(entry);
    await step();
  }
  const written = await writeEntries(rest, root);
  for (const { entry, path, mode } of writtenAhead) {
    try {
      if (mode !== FILE_MODE) await chmod(resolve(root, path), mode);
    } catch (err) {
      throw writeError(err, entry.entryName, root);
    }
    written.files++;
    written.bytes += entry.header.size;
  }
  return written;
}

/** Open the archive and check every entry's header. Throws the first problem; writes nothing. */
export function planEntries(zip: Buffer, limits: UnpackLimits): PlannedEntry[] {
  let archive: AdmZipModule;
  let entries: AdmZipModule.IZipEntry[];
  try {
    archive = new AdmZip(zip);
    // The count comes from the end record: checked before a single entry is parsed,
    // so an archive of millions of tiny entries never becomes millions of objects.
    const count = archive.getEntryCount();
    if (count > limits.maxEntries) throw tooManyEntries(count, limits.maxEntries);
    entries = archive.getEntries();
  } catch (err) {
    if (err instanceof BrokerError) throw err;
    throw new BrokerError('E_INVALID_ZIP', `not a readable ZIP archive: ${cleanMessage(err)}`);
  }
  if (entries.length > limits.maxEntries) throw tooManyEntries(entries.length, limits.maxEntries);

  const plan: PlannedEntry[] = [];
  const files = new Set<string>();
  const dirs = new Set<string>();
  let declared = 0;
  for (const entry of entries) {
    const name = entry.entryName;
    const reason = unsafeReason(name);
    if (reason) throw unsafe(name, reason);
    const type = (entry.header.attr >>> 16) & S_IFMT;
    if (type === S_IFLNK) throw unsafe(name, 'symlink');
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw unsafe(name, 'device, fifo or socket');

    const path = normalize(name);
    const dir = entry.isDirectory;
    if (!dir) {
      if (path === '') throw unsafe(name, 'names no file');
      if (entry.header.flags & FLAG_ENCRYPTED) {
        throw new BrokerError('E_INVALID_ZIP', `entry ${quote(name)} is encrypted; upload an unencrypted ZIP`, { entry: name });
      }
      const method = entry.header.method;
      if (method !== METHOD_STORED && method !== METHOD_DEFLATED) {
        throw new BrokerError('E_INVALID_ZIP', `entry ${quote(name)} uses unsupported compression method ${method}`, { entry: name, method });
      }
      // An honest bomb is refused from its headers alone; a lying one in verifyEntry.
      declared += entry.header.size;
      if (declared > limits.maxUnpackedBytes) throw tooLarge(limits.maxUnpackedBytes, name);
      if (files.has(path)) throw new BrokerError('E_INVALID_ZIP', `entry ${quote(name)} is in the ZIP twice`, { entry: name });
      files.add(path);
    } else if (path !== '') {
      dirs.add(path);
    }
    checkLocalHeader(zip, entry);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    const executable = ((entry.header.attr >>> 16) & 0o111) !== 0;
    plan.push({ entry, path, dir, mode: dir || executable ? 0o755 : FILE_MODE });
  }
  for (const path of files) {
    if (dirs.has(path)) throw new BrokerError('E_INVALID_ZIP', `${quote(path)} is both a file and a folder in the ZIP`, { entry: path });
  }
  return plan;
}

/**
 * The local header must say what the central directory says: adm-zip reads names,
 * sizes and CRCs from the central directory, streaming readers (and `unzip`) from
 * the local headers, so two that disagree are two archives in one file. The name
 * too: it decides where the data starts. Sizes and CRC may be zeros when a data
 * descriptor follows the data, and a size may be the ZIP64 mark.
 */
function checkLocalHeader(zip: Buffer, entry: AdmZipModule.IZipEntry): void {
  try {
    entry.getCompressedData(); // parses the local header, and checks the data is all there
  } catch (err) {
    throw new BrokerError('E_INVALID_ZIP', `entry ${quote(entry.entryName)} is corrupt: ${cleanMessage(err)}`, { entry: entry.entryName });
  }
  const central = entry.header;
  const local = central.localHeader as unknown as { flags: number; method: number; crc: number; compressedSize: number; size: number; fnameLen: number };
  const disagree = (what: string, l: number | string, c: number | string): BrokerError =>
    unsafe(entry.entryName, `the local header and the central directory disagree on the ${what} (${l} vs ${c})`);
  if (local.method !== central.method) throw disagree('compression method', local.method, central.method);
  if ((local.flags & FLAG_ENCRYPTED) !== (central.flags & FLAG_ENCRYPTED)) throw disagree('encryption flag', local.flags, central.flags);
  const descriptor = (local.flags & FLAG_DESCRIPTOR) !== 0;
  const fields: Array<[string, number, number]> = [
    ['CRC-32', local.crc, central.crc],
    ['compressed size', local.compressedSize, central.compressedSize],
    ['size', local.size, central.size],
  ];
  for (const [what, l, c] of fields) {
    if (l === c || (descriptor && l === 0) || (what !== 'CRC-32' && l === ZIP64_MARK)) continue;
    throw disagree(what, l, c);
  }
  const nameAt = central.offset + LOCAL_HEADER_BYTES;
  const localName = zip.subarray(nameAt, nameAt + local.fnameLen);
  if (!localName.equals(entry.rawEntryName)) throw disagree('name', JSON.stringify(localName.toString('utf8').slice(0, 200)), quote(entry.entryName));
}

/**
 * Inflate one entry (a small one in one call, a big one streamed into a counter): proves
 * its real size is the declared one and checks its CRC, without keeping or writing a byte. A lying entry costs no more
 * inflating than its declared size (it is stopped there).
 */
async function verifyEntry(entry: AdmZipModule.IZipEntry): Promise<void> {
  let size: number;
  let crc: number;
  if (entry.header.size <= SMALL_ENTRY_BYTES) {
    const data = inflateSmall(rawData(entry), entry);
    size = data.length;
    crc = crc32(data, 0);
  } else {
    const discard = new Writable({ highWaterMark: INFLATE_CHUNK, write: (_chunk, _enc, done) => done() });
    ({ size, crc } = await inflateData(rawStream(entry), entry, discard, true));
  }
  if (size !== entry.header.size) throw sizeMismatch(entry.entryName, entry.header.size, size);
  if (crc !== entry.header.crc) throw new BrokerError('E_INVALID_ZIP', `entry ${quote(entry.entryName)} is corrupt: CRC-32 mismatch`, { entry: entry.entryName });
}

/** Work done in one go for this long at most, then a turn of the thread's event loop (its `stop` message is read between two steps). */
const STEP_MS = 20;

/** A turn of the event loop once STEP_MS have passed since the last one. */
function stepper(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < STEP_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}

async function writeEntries(plan: PlannedEntry[], root: string): Promise<UnpackResult> {
  let bytes = 0;
  let files = 0;
  const made = new Set<string>();
  const step = stepper();
  for (const { entry, path: rel, dir, mode } of plan) {
    const path = resolve(root, rel);
    // Belt and braces: planEntries has already refused every name that could leave root.
    if (path !== root && !path.startsWith(root + sep)) throw unsafe(entry.entryName, 'resolves outside the project');
    try {
      if (dir) {
        await mkdir(path, { recursive: true, mode });
        continue;
      }
      const parent = dirname(path);
      if (!made.has(parent)) {
        await mkdir(parent, { recursive: true, mode: 0o755 });
        made.add(parent);
      }
      // 'wx': never open something that already exists (nor follow a link to it).
      if (entry.header.size <= SMALL_ENTRY_BYTES) {
        // Synchronous in this thread (off the server's event loop): one open, write and close, no stream.
        const data = inflateSmall(rawData(entry), entry);
        writeFileSync(path, data, { flag: 'wx', mode });
        bytes += data.length;
        await step();
      } else {
        bytes += (await inflateData(rawStream(entry), entry, createWriteStream(path, { flags: 'wx', mode }))).size;
      }
      files++;
    } catch (err) {
      throw writeError(err, entry.entryName, root);
    }
  }
  return { files, bytes };
}

/** An entry's data as stored, its local header parsed on the way. */
function rawData(entry: AdmZipModule.IZipEntry): Buffer {
  try {
    return entry.getCompressedData();
  } catch (err) {
    throw new BrokerError('E_INVALID_ZIP', `entry ${quote(entry.entryName)} is corrupt: ${cleanMessage(err)}`, { entry: entry.entryName });
  }
}

/** The same, as a stream (for inflateData). */
function rawStream(entry: AdmZipModule.IZipEntry): Readable {
  return Readable.from([rawData(entry)], { objectMode: false });
}
