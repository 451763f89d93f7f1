/**
 * The MCAP chunk being filled: Message records written by hand into one growing buffer,
 * each channel's message index, and the chunk's time range. McapWriter (@mcap/core)
 * allocates several objects, BigInts and a promise per message (3.4 µs of CPU a message,
 * measured here, much of it garbage collection: CPU a 2-core robot takes from the broker);
 * this allocates next to nothing per message. Its fields go through a DataView and a
 * small message's bytes are copied by hand: `Buffer#writeUInt32LE` and `Buffer#copy`
 * cost more per call than the few bytes they move (see docs/PERFORMANCE.md). The
 * record layouts are the spec's: https://mcap.dev/spec (Message: opcode 0x05, u64 length,
 * u16 channel, u32 sequence, u64 log time, u64 publish time, data; MessageIndex: 0x07).
 */
import { nanoseconds } from './format.js';

/** The spec's opcodes for the two records written here. */
const Opcode = { MESSAGE: 0x05, MESSAGE_INDEX: 0x07 } as const;

/** A Message record's fixed part: opcode, length, channel id, sequence, log time, publish time. */
const MESSAGE_HEAD = 1 + 8 + 2 + 4 + 8 + 8;
/** Messages up to this many bytes are copied byte by byte (a native copy costs more to call). */
const SMALL_COPY = 64;

const viewOf = (b: Buffer): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The earliest and latest message of a chunk or a file: ms to compare, ns as written. */
export class TimeRange {
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

/** One channel's messages in the chunk: log times as u64 halves, offsets in the chunk. */
interface ChannelIndex {
  timesLow: number[];
  timesHigh: number[];
  offsets: number[];
}

export class ChunkBuffer {
  messages = 0;
  readonly times = new TimeRange();
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private view = viewOf(this.buffer);
  private used = 0;
  private readonly index = new Map<number, ChannelIndex>();
  /** Messages of the same millisecond share their timestamp: one BigInt, and its u64 halves (Buffer's writeBigUInt64LE allocates). */
  private lastAt = Number.NaN;
  private lastNs = 0n;
  private lastLow = 0;
  private lastHigh = 0;

  get length(): number {
    return this.used;
  }

  /** The records so far (a view: valid until the next add or clear). */
  get data(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  /** A record made elsewhere (a Channel, by the record builder). */
  addRecord(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength);
    this.buffer.set(bytes, this.used);
    this.used += bytes.byteLength;
  }

  /** One Message record whose data is `data[from, to)`, UTF-8 JSON already encoded (copied, not kept). */
  addMessage(channelId: number, sequence: number, at: number, data: Buffer, from: number, to: number): void {
    if (at !== this.lastAt) {
      this.lastAt = at;
      this.lastNs = nanoseconds(at);
      this.lastLow = Number(this.lastNs & 0xffffffffn);
      this.lastHigh = Number(this.lastNs >> 32n);
    }
    const low = this.lastLow;
    const high = this.lastHigh;
    const start = this.used;
    const written = to - from;
    this.reserve(MESSAGE_HEAD + written);
    const b = this.buffer;
    const v = this.view;
    const dataAt = start + MESSAGE_HEAD;
    if (written <= SMALL_COPY) for (let k = 0; k < written; k++) b[dataAt + k] = data[from + k]!;
    else data.copy(b, dataAt, from, to);
    b[start] = Opcode.MESSAGE;
    v.setUint32(start + 1, MESSAGE_HEAD - 9 + written, true); // the record's length, a u64
    v.setUint32(start + 5, 0, true);
    v.setUint16(start + 9, channelId, true);
    v.setUint32(start + 11, sequence, true);
    v.setUint32(start + 15, low, true); // log time
    v.setUint32(start + 19, high, true);
    v.setUint32(start + 23, low, true); // publish time
    v.setUint32(start + 27, high, true);
    this.used = dataAt + written;

    let index = this.index.get(channelId);
    if (!index) this.index.set(channelId, (index = { timesLow: [], timesHigh: [], offsets: [] }));
    index.timesLow.push(low);
    index.timesHigh.push(high);
    index.offsets.push(start);
    this.messages++;
    this.times.add(at, this.lastNs);
  }

  /**
   * The chunk's MessageIndex records, one per channel: `at` is where they will start in
   * the file; answers their bytes and where each channel's record is.
   */
  messageIndexes(at: number): { bytes: Buffer; offsets: Map<number, bigint> } {
    let size = 0;
    for (const i of this.index.values()) size += 1 + 8 + 2 + 4 + 16 * i.offsets.length;
    const bytes = Buffer.allocUnsafe(size);
    const v = viewOf(bytes);
    const offsets = new Map<number, bigint>();
    let p = 0;
    for (const [channelId, i] of this.index) {
      offsets.set(channelId, BigInt(at + p));
      bytes[p] = Opcode.MESSAGE_INDEX;
      v.setUint32(p + 1, 2 + 4 + 16 * i.offsets.length, true);
      v.setUint32(p + 5, 0, true);
      v.setUint16(p + 9, channelId, true);
      v.setUint32(p + 11, 16 * i.offsets.length, true);
      p += 15;
      for (let k = 0; k < i.offsets.length; k++) {
        const offset = i.offsets[k]!;
        v.setUint32(p, i.timesLow[k]!, true);
        v.setUint32(p + 4, i.timesHigh[k]!, true);
        v.setUint32(p + 8, offset % 2 ** 32, true);
        v.setUint32(p + 12, Math.floor(offset / 2 ** 32), true);
        p += 16;
      }
    }
    return { bytes, offsets };
  }

  clear(): void {
    this.used = 0;
    this.messages = 0;
    this.index.clear();
    this.times.clear();
  }

  private reserve(n: number): void {
    if (this.used + n <= this.buffer.byteLength) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.byteLength * 2, this.used + n));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
    this.view = viewOf(bigger);
  }
}
