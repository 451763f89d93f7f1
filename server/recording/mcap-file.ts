/**
 * One MCAP file being written: chunked (messages grouped into chunks of `chunkBytes`),
 * indexed (message and chunk indexes, statistics and a summary at the end, so a reader
 * seeks by time), each chunk zstd-compressed, CRCs throughout. Every channel is JSON
 * (`messageEncoding: "json"`, no schema: MCAP allows that for a self-describing encoding);
 * its metadata says whether the robot or the broker produced it.
 *
 * Every record but Message is encoded by @mcap/core's McapRecordBuilder, in the order its
 * McapWriter writes them. Messages are written here, straight into the chunk: McapWriter
 * allocates several objects, BigInts and a promise per message (3.4 µs of CPU a message,
 * measured on this machine, much of it garbage collection: CPU a 2-core robot takes from
 * the broker); this path allocates next to nothing per message (1.5 µs, compression included).
 *
 * Pure file work, no broker state: the recording thread (and through it the CLI) uses it;
 * recording-file.ts reads what it writes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import zstd from '@foxglove/wasm-zstd';
import { McapRecordBuilder, Opcode, type McapTypes } from '@mcap/core';

/**
 * zstd level 1: on this machine a 650 KB chunk of JSON telemetry took 7 ms at level 1 and
 * 16 ms at the library default (3), for the same size within 1%.
 */
export const ZSTD_LEVEL = 1;
export const MCAP_LIBRARY = 'robot-control';

/** Names of the metadata records a recording holds. Values are strings (MCAP metadata is a string map). */
export const METADATA = {
  /** At the start of every file: `started_at`, `reason`, `part`. */
  session: 'robot-control.session',
  /** Events the recorder could not keep: `count` since the previous record, `total`, `first_at`, `last_at`. */
  drops: 'robot-control.drops',
  /** At the end of a recording's last file: `ended_at`, `messages`, `dropped`. */
  summary: 'robot-control.summary',
} as const;

/** One message to write: its channel, when it happened (ms since the epoch) and its JSON text. */
export interface McapRecord {
  topic: string;
  source: string;
  at: number;
  json: string;
}

/** Nanoseconds since the epoch, as MCAP wants them (µs precision: ms * 1e6 overflows a double's integers). */
export function nanoseconds(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

/** A Message record's fixed part: opcode, length, channel id, sequence, log time, publish time. */
const MESSAGE_HEAD = 1 + 8 + 2 + 4 + 8 + 8;

/** One chunk's messages of one channel, for its message index: log times as u64 halves, offsets in the chunk. */
interface ChannelIndex {
  timesLow: number[];
  timesHigh: number[];
  offsets: number[];
}

export class McapFile {
  /** Messages written so far. */
  messages = 0;
  private readonly records = new McapRecordBuilder();
  private readonly channels = new Map<string, McapTypes.Channel>();
  private readonly counts = new Map<number, number>();
  private sequence = 0;
  /** The chunk being filled: Message (and Channel) records, uncompressed. */
  private chunk = Buffer.allocUnsafe(64 * 1024);
  private chunkLength = 0;
  private chunkMessages = 0;
  private readonly chunkTimes = new TimeRange();
  private readonly fileTimes = new TimeRange();
  private readonly chunkIndex = new Map<number, ChannelIndex>();
  private readonly chunkIndexes: McapTypes.ChunkIndex[] = [];
  private readonly metadataIndexes: McapTypes.MetadataIndex[] = [];
  /** Messages of the same millisecond share their timestamp: one BigInt, and its u64 halves (Buffer's writeBigUInt64LE allocates). */
  private lastAt = Number.NaN;
  private lastNs = 0n;
  private lastLow = 0;
  private lastHigh = 0;
  private position = 0;
  /** CRC-32 of the data section so far (everything before DataEnd). */
  private dataCrc = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly chunkBytes: number,
  ) {}

  /** Create `path` (never over an existing file) and write the MCAP header. */
  static async create(path: string, chunkBytes: number): Promise<McapFile> {
    await zstd.isLoaded;
    const handle = await open(path, 'wx');
    const file = new McapFile(path, handle, chunkBytes);
    try {
      file.records.writeMagic();
      file.records.writeHeader({ profile: '', library: MCAP_LIBRARY });
      await file.writeRecords(true);
      return file;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Bytes in the file so far (the chunk being filled is not written yet). */
  get bytes(): number {
    return this.position;
  }

  /** The chunk holds `chunkBytes`: call flushChunk() before adding more. */
  get chunkFull(): boolean {
    return this.chunkLength >= this.chunkBytes;
  }

  /** Append one message to the chunk. Synchronous: nothing is written until flushChunk(). */
  add(r: McapRecord): void {
    let channel = this.channels.get(r.topic);
    if (!channel) {
      channel = { id: this.channels.size, schemaId: 0, topic: r.topic, messageEncoding: 'json', metadata: new Map([['source', r.source]]) };
      this.channels.set(r.topic, channel);
      // A channel's record comes before its first message, in the same chunk (as McapWriter does).
      this.records.writeChannel(channel);
      this.reserve(this.records.length);
      this.chunk.set(this.records.buffer, this.chunkLength);
      this.chunkLength += this.records.length;
      this.records.reset();
    }
    if (r.at !== this.lastAt) {
      this.lastAt = r.at;
      this.lastNs = nanoseconds(r.at);
      this.lastLow = Number(this.lastNs & 0xffffffffn);
      this.lastHigh = Number(this.lastNs >> 32n);
    }
    const ns = this.lastNs;
    const low = this.lastLow;
    const high = this.lastHigh;
    const start = this.chunkLength;
    this.reserve(MESSAGE_HEAD + r.json.length * 3); // UTF-8: at most 3 bytes per UTF-16 unit
    const c = this.chunk;
    const written = c.write(r.json, start + MESSAGE_HEAD, 'utf8');
    c[start] = Opcode.MESSAGE;
    c.writeUInt32LE(MESSAGE_HEAD - 9 + written, start + 1); // record length, u64: low half
    c.writeUInt32LE(0, start + 5);
    c.writeUInt16LE(channel.id, start + 9);
    this.sequence = (this.sequence + 1) >>> 0;
    c.writeUInt32LE(this.sequence, start + 11);
    c.writeUInt32LE(low, start + 15);
    c.writeUInt32LE(high, start + 19);
    c.writeUInt32LE(low, start + 23);
    c.writeUInt32LE(high, start + 27);
    this.chunkLength = start + MESSAGE_HEAD + written;

    let index = this.chunkIndex.get(channel.id);
    if (!index) this.chunkIndex.set(channel.id, (index = { timesLow: [], timesHigh: [], offsets: [] }));
    index.timesLow.push(low);
    index.timesHigh.push(high);
    index.offsets.push(start);
    this.counts.set(channel.id, (this.counts.get(channel.id) ?? 0) + 1);
    this.chunkMessages++;
    this.messages++;
    this.chunkTimes.add(r.at, ns);
  }

  /** Compress the chunk and write it with its message indexes. */
  async flushChunk(): Promise<void> {
    if (this.chunkMessages === 0) return;
    const data = this.chunk.subarray(0, this.chunkLength);
    const compressed = zstd.compress(data, ZSTD_LEVEL);
    // Incompressible data is stored as it is: smaller, and cheaper to read.
    const zipped = compressed.byteLength < data.byteLength;
    const times = this.chunkTimes;
    const chunkStartOffset = BigInt(this.position);
    const chunkLength = this.records.writeChunk({
      messageStartTime: times.startNs,
      messageEndTime: times.endNs,
      uncompressedSize: BigInt(data.byteLength),
      uncompressedCrc: crc32(data),
      compression: zipped ? 'zstd' : '',
      records: zipped ? compressed : data,
    });
    await this.writeRecords(true);
    const { bytes: indexes, offsets } = messageIndexes(this.chunkIndex, this.position);
    await this.write(indexes, true);
    this.chunkIndexes.push({
      messageStartTime: times.startNs,
      messageEndTime: times.endNs,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets: offsets,
      messageIndexLength: BigInt(indexes.byteLength),
      compression: zipped ? 'zstd' : '',
      compressedSize: BigInt((zipped ? compressed : data).byteLength),
      uncompressedSize: BigInt(data.byteLength),
    });
    this.fileTimes.merge(times);
    times.clear();
    this.chunkLength = 0;
    this.chunkMessages = 0;
    this.chunkIndex.clear();
  }

  /** Write a metadata record now (between chunks), indexed in the summary. */
  async metadata(name: string, values: Record<string, string | number>): Promise<void> {
    const offset = BigInt(this.position);
    const length = this.records.writeMetadata({ name, metadata: new Map(Object.entries(values).map(([k, v]) => [k, String(v)])) });
    this.metadataIndexes.push({ offset, length, name });
    await this.writeRecords(true);
  }

  /** Write the last chunk, DataEnd, the summary (channels, statistics, indexes), the footer; close the file. */
  async close(): Promise<void> {
    try {
      await this.flushChunk();
      this.records.writeDataEnd({ dataSectionCrc: this.dataCrc });
      await this.writeRecords(false);
      const summaryStart = BigInt(this.position);
      const groups: McapTypes.SummaryOffset[] = [];
      const group = (opcode: number, write: () => bigint) => {
        const groupStart = BigInt(this.position + this.records.length);
        const groupLength = write();
        if (groupLength > 0n) groups.push({ groupOpcode: opcode, groupStart, groupLength });
      };
      const sum = (lengths: bigint[]) => lengths.reduce((a, b) => a + b, 0n);
      group(Opcode.CHANNEL, () => sum([...this.channels.values()].map((c) => this.records.writeChannel(c))));
      const any = this.messages > 0;
      group(Opcode.STATISTICS, () =>
        this.records.writeStatistics({
          messageCount: BigInt(this.messages),
          schemaCount: 0,
          channelCount: this.channels.size,
          attachmentCount: 0,
          metadataCount: this.metadataIndexes.length,
          chunkCount: this.chunkIndexes.length,
          messageStartTime: any ? this.fileTimes.startNs : 0n,
          messageEndTime: any ? this.fileTimes.endNs : 0n,
          channelMessageCounts: new Map([...this.counts].map(([id, n]) => [id, BigInt(n)])),
        }),
      );
      group(Opcode.METADATA_INDEX, () => sum(this.metadataIndexes.map((m) => this.records.writeMetadataIndex(m))));
      group(Opcode.CHUNK_INDEX, () => sum(this.chunkIndexes.map((c) => this.records.writeChunkIndex(c))));
      const summaryOffsetStart = BigInt(this.position + this.records.length);
      for (const g of groups) this.records.writeSummaryOffset(g);
      // The summary CRC covers the summary and the footer up to (not including) the CRC itself.
      const footerHead = Buffer.alloc(1 + 8 + 8 + 8);
      footerHead[0] = Opcode.FOOTER;
      footerHead.writeBigUInt64LE(8n + 8n + 4n, 1);
      footerHead.writeBigUInt64LE(summaryStart, 9);
      footerHead.writeBigUInt64LE(summaryOffsetStart, 17);
      const summaryCrc = crc32(footerHead, crc32(this.records.buffer));
      this.records.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc });
      this.records.writeMagic();
      await this.writeRecords(false);
    } finally {
      await this.handle.close();
    }
  }

  /** Close the file without a summary (the writer failed): what is on disk stays readable by a stream reader. */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => {});
  }

  /** Room in the chunk for `n` more bytes. */
  private reserve(n: number): void {
    if (this.chunkLength + n <= this.chunk.byteLength) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.chunk.byteLength * 2, this.chunkLength + n));
    this.chunk.copy(bigger, 0, 0, this.chunkLength);
    this.chunk = bigger;
  }

  /** Write what the record builder holds; `data`: it is part of the data section (its CRC). */
  private async writeRecords(data: boolean): Promise<void> {
    await this.write(this.records.buffer, data);
    this.records.reset();
  }

  private async write(buffer: Uint8Array, data: boolean): Promise<void> {
    if (data) this.dataCrc = crc32(buffer, this.dataCrc);
    let offset = 0;
    // A short write is legal: keep going until the whole buffer is down.
    while (offset < buffer.byteLength) offset += (await this.handle.write(buffer, offset, buffer.byteLength - offset)).bytesWritten;
    this.position += buffer.byteLength;
  }
}

/** The earliest and latest message of a chunk or a file: ms to compare, ns as written. */
class TimeRange {
  startMs = Infinity;
  endMs = -Infinity;
  startNs = 0n;
  endNs = 0n;

  add(ms: number, ns: bigint): void {
    if (ms < this.startMs) {
      this.startMs = ms;
      this.startNs = ns;
    }
    if (ms > this.endMs) {
      this.endMs = ms;
      this.endNs = ns;
    }
  }

  merge(other: TimeRange): void {
    this.add(other.startMs, other.startNs);
    this.add(other.endMs, other.endNs);
  }

  clear(): void {
    this.startMs = Infinity;
    this.endMs = -Infinity;
    this.startNs = 0n;
    this.endNs = 0n;
  }
}

/**
 * A chunk's MessageIndex records, one per channel, written here rather than by the record
 * builder (which takes a [BigInt, BigInt] pair per message): `at` is where they will start
 * in the file; answers their bytes and where each channel's record is.
 */
function messageIndexes(index: Map<number, ChannelIndex>, at: number): { bytes: Buffer; offsets: Map<number, bigint> } {
  let size = 0;
  for (const i of index.values()) size += 1 + 8 + 2 + 4 + 16 * i.offsets.length;
  const bytes = Buffer.allocUnsafe(size);
  const offsets = new Map<number, bigint>();
  let p = 0;
  for (const [channelId, i] of index) {
    offsets.set(channelId, BigInt(at + p));
    bytes[p] = Opcode.MESSAGE_INDEX;
    bytes.writeUInt32LE(2 + 4 + 16 * i.offsets.length, p + 1);
    bytes.writeUInt32LE(0, p + 5);
    bytes.writeUInt16LE(channelId, p + 9);
    bytes.writeUInt32LE(16 * i.offsets.length, p + 11);
    p += 15;
    for (let k = 0; k < i.offsets.length; k++) {
      bytes.writeUInt32LE(i.timesLow[k]!, p);
      bytes.writeUInt32LE(i.timesHigh[k]!, p + 4);
      const offset = i.offsets[k]!;
      bytes.writeUInt32LE(offset % 2 ** 32, p + 8);
      bytes.writeUInt32LE(Math.floor(offset / 2 ** 32), p + 12);
      p += 16;
    }
  }
  return { bytes, offsets };
}
