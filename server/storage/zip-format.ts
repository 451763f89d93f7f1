/**
 * The few facts of the ZIP format (PKWARE's APPNOTE) the unpacker reads itself, beside
 * adm-zip: the local file header that starts each entry, and CRC-32.
 */
import * as zlib from 'node:zlib';

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;
export const FLAG_ENCRYPTED = 0x1;
/** Sizes and CRC follow the data (a data descriptor): the local header may hold zeros instead. */
export const FLAG_DESCRIPTOR = 0x8;
/** A 32-bit size field saying "see the ZIP64 extra field". */
export const ZIP64_MARK = 0xffffffff;
/** Local file header: signature, then these fields (APPNOTE 4.3.7). */
export const LOCAL_HEADER_BYTES = 30;
const LOCAL_SIGNATURE = 0x04034b50;

/** A local file header's fields (APPNOTE 4.3.7). */
export interface LocalHeader {
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  nameLength: number;
  extraLength: number;
  /** Where the name starts, and the entry's data. */
  nameAt: number;
  dataAt: number;
}

/** The local header at `at` (its fixed part must be in `buf`), or null when none starts there (the central directory does, or junk). */
export function readLocalHeader(buf: Buffer, at: number): LocalHeader | null {
  if (at + LOCAL_HEADER_BYTES > buf.length || buf.readUInt32LE(at) !== LOCAL_SIGNATURE) return null;
  const nameLength = buf.readUInt16LE(at + 26);
  const extraLength = buf.readUInt16LE(at + 28);
  return {
    flags: buf.readUInt16LE(at + 6),
    method: buf.readUInt16LE(at + 8),
    crc: buf.readUInt32LE(at + 14),
    compressedSize: buf.readUInt32LE(at + 18),
    size: buf.readUInt32LE(at + 22),
    nameLength,
    extraLength,
    nameAt: at + LOCAL_HEADER_BYTES,
    dataAt: at + LOCAL_HEADER_BYTES + nameLength + extraLength,
  };
}

const END_SIGNATURE = 0x06054b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const END_BYTES = 22;
/** Where a reader looks for the end records: the last END_BYTES plus the longest comment (adm-zip's window). */
export const END_SEARCH_BYTES = END_BYTES + 0xffff;

/**
 * The lowest central directory offset named by any end record (classic or ZIP64) that
 * starts in `zip[from, end)`: whichever of them a reader picks, its central directory
 * starts there or later. 0 when none is found or one cannot be read whole.
 */
export function centralDirectoryFloor(zip: Buffer, from: number): number {
  let floor = Number.POSITIVE_INFINITY;
  for (let at = Math.max(0, from); at + 4 <= zip.length; at++) {
    if (zip[at] !== 0x50) continue; // 'P'
    const signature = zip.readUInt32LE(at);
    if (signature === END_SIGNATURE) {
      if (at + END_BYTES > zip.length) return 0;
      floor = Math.min(floor, zip.readUInt32LE(at + 16));
    } else if (signature === ZIP64_END_SIGNATURE) {
      if (at + 56 > zip.length) return 0;
      floor = Math.min(floor, Number(zip.readBigUInt64LE(at + 48)));
    }
  }
  return Number.isFinite(floor) ? floor : 0;
}

/** zlib's native CRC-32 (Node >= 20.15), else a table-driven one. */
export const crc32: (data: Buffer, value: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (d: Buffer, v: number) => number }).crc32
    : tableCrc32();

function tableCrc32(): (data: Buffer, value: number) => number {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return (data, value) => {
    let c = ~value >>> 0;
    for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}
