/**
 * Reading a recording back: a summary (`robot-control record --info`, `GET /recordings/info`)
 * and its messages page by page in time order (`GET /recordings/messages`, which the
 * panel plays back). Finished files are read through their index (McapIndexedReader);
 * a file whose writer never finished it (the broker was killed) has no index, and its
 * summary is made by reading it through once (McapStreamReader).
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { DecompressHandlers, IReadable, McapIndexedReader, McapTypes } from '@mcap/core';
import type Zstd from '@foxglove/wasm-zstd';
import { requireCjs } from '../../ipc/cjs.js';
import { METADATA } from './format.js';

/** @mcap/core and the WebAssembly zstd, loaded the first time a file is read (a broker that never reads one never loads them). */
async function codec() {
  const mcap = await import('@mcap/core'); // an ES module of its own
  const zstd = requireCjs('@foxglove/wasm-zstd') as typeof Zstd;
  await zstd.isLoaded;
  const decompressHandlers: DecompressHandlers = { zstd: (buffer, size) => zstd.decompress(buffer, Number(size)) };
  return { mcap, decompressHandlers };
}

/** A recording summarised. Times are ISO strings; counts are per channel and in total. */
export interface RecordingInfo {
  file: string;
  bytes: number;
  /** False: the file was never finished (no index); its figures come from reading it through. */
  indexed: boolean;
  library: string;
  startedAt: string | null;
  endedAt: string | null;
  durationS: number;
  messages: number;
  channels: Array<{ topic: string; source: string; encoding: string; messages: number }>;
  /** Events the recorder could not keep (from the drop metadata records). */
  drops: { records: number; total: number };
  chunks: { count: number; compression: Record<string, number>; compressedBytes: number; uncompressedBytes: number };
  /** The metadata records the broker wrote, by name (the last of each). */
  metadata: Record<string, Record<string, string>>;
}

/** One message as the panel replays it: `at` in ms since the epoch, `data` parsed. */
export interface ReplayMessage {
  at: number;
  topic: string;
  source: string;
  data: unknown;
}

export interface MessagePage {
  messages: ReplayMessage[];
  /** Pass back as `cursor` for the next page; null at the end. */
  next: string | null;
}

class FileReadable implements IReadable {
  private bytes: bigint | null = null;
  constructor(private readonly handle: FileHandle) {}
  async size(): Promise<bigint> {
    return (this.bytes ??= BigInt((await this.handle.stat()).size));
  }
  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    // A corrupt index can claim any length: never allocate past the end of the file.
    if (offset < 0n || size < 0n || offset + size > (await this.size())) throw new Error(`read past the end of the file (${offset} + ${size})`);
    const buffer = new Uint8Array(Number(size));
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.byteLength, Number(offset));
    if (bytesRead !== buffer.byteLength) throw new Error(`short read at ${offset}: ${bytesRead} of ${size} bytes`);
    return buffer;
  }
}

async function withReader<T>(path: string, fn: (reader: McapIndexedReader) => Promise<T>): Promise<T> {
  const { mcap, decompressHandlers } = await codec();
  const handle = await open(path, 'r');
  try {
    return await fn(await mcap.McapIndexedReader.Initialize({ readable: new FileReadable(handle), decompressHandlers }));
  } finally {
    await handle.close();
  }
}

const ms = (ns: bigint): number => Number(ns / 1000n) / 1000;
const iso = (ns: bigint | null): string | null => (ns === null ? null : new Date(ms(ns)).toISOString());

/** Summarise a recording: channels and their counts, time range, drops, compression. */
export async function recordingInfo(path: string): Promise<RecordingInfo> {
  const bytes = (await stat(path)).size;
  try {
    return await withReader(path, async (reader) => {
      const counts = reader.statistics?.channelMessageCounts ?? new Map<number, bigint>();
      const metadata: Record<string, Record<string, string>> = {};
      const drops = { records: 0, total: 0 };
      for await (const m of reader.readMetadata()) noteMetadata(m, metadata, drops);
      const compression: Record<string, number> = {};
      let compressedBytes = 0;
      let uncompressedBytes = 0;
      for (const c of reader.chunkIndexes) {
        compression[c.compression || 'none'] = (compression[c.compression || 'none'] ?? 0) + 1;
        compressedBytes += Number(c.compressedSize);
        uncompressedBytes += Number(c.uncompressedSize);
      }
      const s = reader.statistics;
      const start = s && s.messageCount > 0n ? s.messageStartTime : null;
      const end = s && s.messageCount > 0n ? s.messageEndTime : null;
      return {
        file: path,
        bytes,
        indexed: true,
        library: reader.header.library,
        startedAt: iso(start),
        endedAt: iso(end),
        durationS: start !== null && end !== null ? (ms(end) - ms(start)) / 1000 : 0,
        messages: Number(s?.messageCount ?? 0n),
        channels: [...reader.channelsById.values()].map((c) => ({
          topic: c.topic,
          source: c.metadata.get('source') ?? '',
          encoding: c.messageEncoding,
          messages: Number(counts.get(c.id) ?? 0n),
        })),
        drops,
        chunks: { count: reader.chunkIndexes.length, compression, compressedBytes, uncompressedBytes },
        metadata,
      };
    });
  } catch (err) {
    if (!/not indexed|too small|footer|magic/i.test((err as Error).message)) throw err;
    return unindexedInfo(path, bytes);
  }
}

function noteMetadata(m: McapTypes.Metadata, into: Record<string, Record<string, string>>, drops: { records: number; total: number }): void {
  into[m.name] = Object.fromEntries(m.metadata);
  if (m.name === METADATA.drops) {
    drops.records++;
    drops.total = Math.max(drops.total, Number(m.metadata.get('total') ?? 0));
  }
}

/** A file with no summary (its writer was killed): read it through and count. */
async function unindexedInfo(path: string, bytes: number): Promise<RecordingInfo> {
  const { mcap, decompressHandlers } = await codec();
  const stream = new mcap.McapStreamReader({ decompressHandlers, includeChunks: true });
  const channels = new Map<number, { topic: string; source: string; encoding: string; messages: number }>();
  const metadata: Record<string, Record<string, string>> = {};
  const drops = { records: 0, total: 0 };
  const compression: Record<string, number> = {};
  const chunkBytes = { compressedBytes: 0, uncompressedBytes: 0, count: 0 };
  let library = '';
  let start: bigint | null = null;
  let end: bigint | null = null;
  let messages = 0;
  const handle = await open(path, 'r');
  try {
    for await (const data of handle.createReadStream({ highWaterMark: 1024 * 1024 })) {
      stream.append(data as Buffer);
      try {
        for (let r; (r = stream.nextRecord()); ) {
          if (r.type === 'Header') library = r.library;
          else if (r.type === 'Channel') channels.set(r.id, { topic: r.topic, source: r.metadata.get('source') ?? '', encoding: r.messageEncoding, messages: 0 });
          else if (r.type === 'Metadata') noteMetadata(r, metadata, drops);
          else if (r.type === 'Chunk') {
            compression[r.compression || 'none'] = (compression[r.compression || 'none'] ?? 0) + 1;
            chunkBytes.count++;
            chunkBytes.compressedBytes += r.records.byteLength;
            chunkBytes.uncompressedBytes += Number(r.uncompressedSize);
          } else if (r.type === 'Message') {
            messages++;
            const c = channels.get(r.channelId);
            if (c) c.messages++;
            if (start === null || r.logTime < start) start = r.logTime;
            if (end === null || r.logTime > end) end = r.logTime;
          }
        }
      } catch (err) {
        if (!library) throw err; // not even a header: not a recording
        break; // the file ends mid-record: what came before counts
      }
    }
  } finally {
    await handle.close();
  }
  return {
    file: path,
    bytes,
    indexed: false,
    library,
    startedAt: iso(start),
    endedAt: iso(end),
    durationS: start !== null && end !== null ? (ms(end) - ms(start)) / 1000 : 0,
    messages,
    channels: [...channels.values()],
    drops,
    chunks: { count: chunkBytes.count, compression, compressedBytes: chunkBytes.compressedBytes, uncompressedBytes: chunkBytes.uncompressedBytes },
    metadata,
  };
}

/** Up to `limit` messages in time order, from `cursor` (null: the start). */
export async function readMessagePage(path: string, cursor: string | null, limit: number): Promise<MessagePage> {
  const from = parseCursor(cursor);
  return withReader(path, async (reader) => {
    const messages: ReplayMessage[] = [];
    const decoder = new TextDecoder();
    let skip = from?.skip ?? 0;
    let lastTime: bigint | null = null;
    let sameTime = 0;
    for await (const m of reader.readMessages(from ? { startTime: from.time } : {})) {
      if (from && m.logTime === from.time && skip > 0) {
        skip--;
        sameTime++;
        lastTime = m.logTime;
        continue;
      }
      if (messages.length === limit) return { messages, next: `${lastTime}:${sameTime}` };
      const channel = reader.channelsById.get(m.channelId);
      let data: unknown;
      try {
        data = JSON.parse(decoder.decode(m.data));
      } catch {
        data = null; // not JSON: nothing this file's writer made; replayed as null rather than failing the page
      }
      messages.push({ at: ms(m.logTime), topic: channel?.topic ?? `#${m.channelId}`, source: channel?.metadata.get('source') ?? '', data });
      sameTime = m.logTime === lastTime ? sameTime + 1 : 1;
      lastTime = m.logTime;
    }
    return { messages, next: null };
  });
}

function parseCursor(cursor: string | null): { time: bigint; skip: number } | null {
  if (!cursor) return null;
  const m = /^(\d{1,20}):(\d{1,9})$/.exec(cursor);
  if (!m) throw new RangeError('cursor: expected the "next" value of the previous page');
  return { time: BigInt(m[1]!), skip: Number(m[2]) };
}
