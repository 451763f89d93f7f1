/**
 * An entry's data, inflated (or as stored), never past the size its headers declare:
 * streamed into a sink (big entries, and entries written while an upload arrives), or in
 * one call (small entries).
 *
 * Streaming costs per entry what a small file does not need: a zlib stream with its
 * output chunk, a pipeline with its AbortController (whose end builds a DOMException),
 * a write stream's open, write and close. A project of 3,000 files of 1.6 KB took ~10 s
 * to unpack that way, half of it garbage collection (docs/PERFORMANCE.md); in one call
 * an entry is one zlib call, bounded by `maxOutputLength`, and its bytes in memory.
 */
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { BrokerError } from '../../ipc/errors.js';
import { cleanMessage, diskFull, quote, sizeMismatch } from './unpack-errors.js';
import { crc32, METHOD_DEFLATED } from './zip-format.js';

/** Inflate output chunk: large chunks make inflating a bomb's zeros ~3x faster than 16 KB. */
export const INFLATE_CHUNK = 256 * 1024;

/** Entries that declare at most this many bytes are inflated in one call (inflateSmall), not streamed. */
export const SMALL_ENTRY_BYTES = 1024 * 1024;

interface EntryFacts {
  entryName: string;
  header: { method: number; size: number };
}

/**
 * `raw` (an entry's data as stored) inflated in one call: the entry's bytes, at most one
 * byte past its declared size (a lying entry stops there: E_UNSAFE_ZIP). For entries of
 * at most SMALL_ENTRY_BYTES; the caller checks the exact size and the CRC.
 */
export function inflateSmall(raw: Buffer, entry: EntryFacts): Buffer {
  const declared = entry.header.size;
  let data: Buffer;
  if (entry.header.method !== METHOD_DEFLATED) data = raw;
  else {
    try {
      data = zlib.inflateRawSync(raw, { maxOutputLength: declared + 1 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw sizeMismatch(entry.entryName, declared, declared + 1, true);
      throw new BrokerError('E_INVALID_ZIP', `entry ${quote(entry.entryName)} is corrupt: ${cleanMessage(err)}`, { entry: entry.entryName });
    }
  }
  if (data.length > declared) throw sizeMismatch(entry.entryName, declared, data.length, true);
  return data;
}

/**
 * Stream an entry's data (`source`, stored or deflated as `entry.header.method` says),
 * inflated, into `sink`, failing as soon as it passes the declared size (E_UNSAFE_ZIP).
 * Resolves with the bytes it produced and, when asked, their CRC-32.
 */
export async function inflateData(source: Readable, entry: EntryFacts, sink: Writable, withCrc = false): Promise<{ size: number; crc: number }> {
  const declared = entry.header.size;
  let size = 0;
  let crc = 0;
  const counter = new Transform({
    highWaterMark: INFLATE_CHUNK,
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > declared) return done(sizeMismatch(entry.entryName, declared, size, true));
      if (withCrc) crc = crc32(chunk, crc);
      done(null, chunk);
    },
  });
  try {
    if (entry.header.method === METHOD_DEFLATED) {
      await pipeline(source, zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK }), counter, sink);
    } else {
      await pipeline(source, counter, sink);
    }
  } catch (err) {
    await closed(sink);
    if (err instanceof BrokerError || diskFull(err)) throw err;
    throw new BrokerError('E_INVALID_ZIP', `entry ${quote(entry.entryName)} is corrupt: ${cleanMessage(err)}`, { entry: entry.entryName });
  }
  return { size, crc };
}

/**
 * A failed pipeline destroys its streams without waiting for them: a file's open (which
 * creates it) or close may still be on its way, and would land after the caller has moved
 * on: removed the folder (ENOTEMPTY), or unpacked into it again ('wx' refusing the real
 * file). Found by `npm run fuzz` (unpack-ahead), rarely: once in thousands of cases or
 * in hundreds of thousands, as the machine's timing goes.
 */
function closed(sink: Writable): Promise<void> {
  if (sink.closed) return Promise.resolve();
  sink.destroy();
  return new Promise((resolve) => sink.once('close', () => resolve()));
}
