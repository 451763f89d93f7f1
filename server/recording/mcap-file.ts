/**
 * One MCAP file being written: chunked (messages grouped into chunks of `chunkBytes`),
 * indexed (message and chunk indexes, statistics and a summary at the end, so a reader
 * seeks by time), each chunk zstd-compressed, CRCs throughout. Every channel is JSON
 * (`messageEncoding: "json"`, no schema: MCAP allows that for a self-describing encoding);
 * its metadata says whether the robot or the broker produced it.
 *
 * Every record but Message and MessageIndex is encoded by @mcap/core's McapRecordBuilder,
 * in the order its McapWriter writes them; those two are written by mcap-chunk.ts, which
 * costs less than half McapWriter's CPU per message.
 *
 * Pure file work, no broker state: the recording thread (and through it the CLI) uses it;
 * recording-file.ts reads what it writes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type Zstd from '@foxglove/wasm-zstd';
import { McapRecordBuilder, Opcode, type McapTypes } from '@mcap/core';
import { requireCjs } from '../../ipc/cjs.js';
import { MCAP_LIBRARY } from './format.js';
import { ChunkBuffer, TimeRange } from './mcap-chunk.js';

const zstd = requireCjs('@foxglove/wasm-zstd') as typeof Zstd;

/**
 * zstd level 1: on this machine a 650 KB chunk of JSON telemetry took 7 ms at level 1 and
 * 16 ms at the library default (3), for the same size within 1%.
 */
export const ZSTD_LEVEL = 1;
/** UTF-8 JSON texts laid end to end, as the recorder batches them: message i is `data[ends[i-1] ?? 0, ends[i])`. */
export interface EncodedMessages {
  data: Buffer;
  ends: Uint32Array;
}

export class McapFile {
  /** Messages written so far. */
  messages = 0;
  private readonly records = new McapRecordBuilder();
  private readonly channels = new Map<string, McapTypes.Channel>();
  /** Messages per channel, by channel id (ids are 0, 1, 2... in order of appearance). */
  private readonly counts: number[] = [];
  private sequence = 0;
  /** The chunk being filled: Message (and Channel) records, uncompressed. */
  private readonly chunk = new ChunkBuffer();
  private readonly fileTimes = new TimeRange();
  private readonly chunkIndexes: McapTypes.ChunkIndex[] = [];
  private readonly metadataIndexes: McapTypes.MetadataIndex[] = [];
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
    return this.chunk.length >= this.chunkBytes;
  }

  /**
   * Append message `i` of `m` (a batch of the recorder's: its UTF-8 is copied as it is, no
   * text decoded or encoded here) on `topic`. Synchronous: nothing is written until flushChunk().
   */
  addFrom(m: EncodedMessages, i: number, topic: string, source: string, at: number): void {
    let channel = this.channels.get(topic);
    if (!channel) {
      channel = { id: this.channels.size, schemaId: 0, topic, messageEncoding: 'json', metadata: new Map([['source', source]]) };
      this.channels.set(topic, channel);
      // A channel's record comes before its first message, in the same chunk (as McapWriter does).
      this.records.writeChannel(channel);
      this.chunk.addRecord(this.records.buffer);
      this.records.reset();
    }
    this.sequence = (this.sequence + 1) >>> 0;
    this.chunk.addMessage(channel.id, this.sequence, at, m.data, i === 0 ? 0 : m.ends[i - 1]!, m.ends[i]!);
    this.counts[channel.id] = (this.counts[channel.id] ?? 0) + 1;
    this.messages++;
  }

  /** Compress the chunk and write it with its message indexes. */
  async flushChunk(): Promise<void> {
    const chunk = this.chunk;
    if (chunk.messages === 0) return;
    const data = chunk.data;
    const compressed = zstd.compress(data, ZSTD_LEVEL);
    // Incompressible data is stored as it is: smaller, and cheaper to read.
    const zipped = compressed.byteLength < data.byteLength;
    const { startNs, endNs } = chunk.times;
    const chunkStartOffset = BigInt(this.position);
    const chunkLength = this.records.writeChunk({
      messageStartTime: startNs,
      messageEndTime: endNs,
      uncompressedSize: BigInt(data.byteLength),
      uncompressedCrc: crc32(data),
      compression: zipped ? 'zstd' : '',
      records: zipped ? compressed : data,
    });
    await this.writeRecords(true);
    const { bytes: indexes, offsets } = chunk.messageIndexes(this.position);
    await this.write(indexes, true);
    this.chunkIndexes.push({
      messageStartTime: startNs,
      messageEndTime: endNs,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets: offsets,
      messageIndexLength: BigInt(indexes.byteLength),
      compression: zipped ? 'zstd' : '',
      compressedSize: BigInt((zipped ? compressed : data).byteLength),
      uncompressedSize: BigInt(data.byteLength),
    });
    this.fileTimes.merge(chunk.times);
    chunk.clear();
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
          channelMessageCounts: new Map(this.counts.map((n, id) => [id, BigInt(n)])),
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
