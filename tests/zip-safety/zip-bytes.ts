/**
 * ZIP archives assembled byte by byte, so a test can say exactly what the headers
 * claim: names no archiver would write, symlink and device modes, sizes that lie,
 * and gigabyte bombs built from a few MB without ever holding the gigabyte.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface RawEntry {
  name: string;
  /** Uncompressed content (stored or deflated by the builder). */
  data?: Buffer | string;
  /** Already-compressed bytes, with the real size and CRC of what they inflate to. */
  raw?: { bytes: Buffer; size: number; crc: number };
  /** 0 stored, 8 deflated; anything else is written as given. */
  method?: number;
  /** Unix mode (type and permissions), written to the upper 16 bits of the external attributes. */
  unixMode?: number;
  /** What the local and central headers claim the uncompressed size is. */
  declaredSize?: number;
  flags?: number;
  /** Local header fields that differ from the central directory's: a local header that lies. */
  local?: { size?: number; compressedSize?: number; crc?: number; method?: number; flags?: number; name?: string };
  /** Set flag bit 3, put zeros in the local header's CRC and sizes and a data descriptor after the data (streaming archivers do). */
  descriptor?: boolean;
  /** Only a local header and data: the central directory does not list it (a reader of local headers sees a file the archive does not have). */
  hidden?: boolean;
  /** The local header's extra field, as given. */
  extra?: Buffer;
  /** Only a central directory entry, naming a local header at this offset (written some other way, e.g. inside another entry's extra field). */
  centralAt?: number;
}

/** The local header buildZip writes for `e` (its fixed part, name and extra field), without the data: to hide it somewhere. */
export function localHeaderOf(e: RawEntry): Buffer {
  const { local, name, extra } = localHeader(e, prepare(e));
  return Buffer.concat([local, name, extra]);
}

/** The fixed part of `e`'s local header, with the name and extra field that follow it. */
function localHeader(e: RawEntry, b: Built): { local: Buffer; name: Buffer; extra: Buffer } {
  const l = e.local ?? {};
  const name = l.name === undefined ? b.name : Buffer.from(l.name, 'utf8');
  const extra = e.extra ?? Buffer.alloc(0);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(l.flags ?? (b.flags | (e.descriptor ? 0x8 : 0)), 6);
  local.writeUInt16LE(l.method ?? b.method, 8);
  local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
  local.writeUInt32LE(l.crc ?? (e.descriptor ? 0 : b.crc), 14);
  local.writeUInt32LE(l.compressedSize ?? (e.descriptor ? 0 : b.compressed.length), 18);
  local.writeUInt32LE(l.size ?? (e.descriptor ? 0 : b.size), 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(extra.length, 28);
  return { local, name, extra };
}

interface Built {
  name: Buffer;
  compressed: Buffer;
  size: number;
  crc: number;
  method: number;
  attr: number;
  flags: number;
}

/** A ZIP of `entries`; `declaredEntries` overrides the end record's entry count. */
export function buildZip(entries: RawEntry[], options: { declaredEntries?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const b = prepare(e);
    const flags = b.flags | (e.descriptor ? 0x8 : 0);
    const at = e.centralAt ?? offset;
    const { local, name: localName, extra } = localHeader(e, b);
    const descriptor = Buffer.alloc(e.descriptor ? 16 : 0);
    if (e.descriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(b.crc, 4);
      descriptor.writeUInt32LE(b.compressed.length, 8);
      descriptor.writeUInt32LE(b.size, 12);
    }
    if (e.centralAt === undefined) {
      locals.push(local, localName, extra, b.compressed, descriptor);
      offset += 30 + localName.length + extra.length + b.compressed.length + descriptor.length;
    }
    if (e.hidden) continue;

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode bits count
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(b.method, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(b.crc, 16);
    central.writeUInt32LE(b.compressed.length, 20);
    central.writeUInt32LE(b.size, 24);
    central.writeUInt16LE(b.name.length, 28);
    central.writeUInt32LE(b.attr, 38);
    central.writeUInt32LE(at, 42);
    centrals.push(central, b.name);
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  const count = Math.min(options.declaredEntries ?? entries.filter((e) => !e.hidden).length, 0xffff);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function prepare(e: RawEntry): Built {
  const name = Buffer.from(e.name, 'utf8');
  const isDir = e.name.endsWith('/');
  const mode = e.unixMode ?? (isDir ? 0o040755 : 0o100644);
  let compressed: Buffer;
  let size: number;
  let crc: number;
  let method: number;
  if (e.raw) {
    ({ bytes: compressed, size, crc } = e.raw);
    method = e.method ?? 8;
  } else {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '');
    method = e.method ?? (data.length > 0 ? 8 : 0);
    compressed = method === 8 ? deflateRawSync(data) : data;
    size = data.length;
    crc = crc32(data);
  }
  return { name, compressed, size: e.declaredSize ?? size, crc, method, attr: ((mode & 0xffff) << 16) >>> 0, flags: e.flags ?? 0 };
}

/**
 * `bytes` zeros, deflated, without ever holding them: one MiB of zeros is deflated
 * once with a sync flush (a byte-aligned, non-final block) and that block repeated.
 * Every copy only refers back to zeros, so the stream inflates to exactly `bytes`.
 */
export function zeroBomb(bytes: number): { bytes: Buffer; size: number; crc: number } {
  const MiB = 1 << 20;
  if (bytes % MiB !== 0) throw new Error('zeroBomb takes whole MiB');
  const zeros = Buffer.alloc(MiB);
  const block = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const copies = bytes / MiB;
  const parts: Buffer[] = new Array<Buffer>(copies).fill(block);
  parts.push(Buffer.from([0x03, 0x00])); // an empty final block
  let crc = 0;
  for (let i = 0; i < copies; i++) crc = crc32(zeros, crc);
  return { bytes: Buffer.concat(parts), size: bytes, crc };
}

/** A ZIP that is nothing but an end record: valid, and empty. */
export function emptyZip(): Buffer {
  return buildZip([]);
}
