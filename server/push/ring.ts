/**
 * The replay ring: every pushed event of the broker's run gets the next sequence number
 * and is kept here, bounded by count, bytes and age (`replay.*`), for clients that
 * reconnect with `auth.lastSeq` or fall behind (relay.ts). The first bound reached evicts
 * the oldest; whoever still needed an evicted event hears of it (`onEvict`).
 */
import { randomBytes } from 'node:crypto';
import type { PushMeta } from '../../ipc/protocol.js';
import type { PushedEvent } from '../../ipc/worker-protocol.js';

export interface RingLimits {
  maxEvents: number;
  maxBytes: number;
  maxAgeMs: number;
}

export interface RetainedEvent {
  readonly event: string;
  readonly data: unknown;
  /** `qos: "latest"`: a newer event of the same name supersedes it for a client that is behind. */
  readonly latest: boolean;
  /** The JSON frame's size as the worker sent it: what `replay.max_bytes` counts. */
  readonly bytes: number;
  /** Built once, sent as the second argument to every client that asked for meta. */
  readonly meta: PushMeta;
}

export interface RingState {
  epoch: string;
  seq: number;
  firstSeq: number;
  events: number;
  bytes: number;
}

/** Past this many dead slots at the front (and half the array), the array is compacted. */
const COMPACT_AFTER = 1024;

export class EventRing {
  /** This broker run, told to clients in `replay_info` so a reconnect can tell a restart. */
  readonly epoch = randomBytes(6).toString('base64url');
  private slots: Array<RetainedEvent | undefined> = [];
  private head = 0;
  private bytes = 0;
  private seq = 0;
  /** For each `"latest"` event name retained: the seq of its newest event. */
  private readonly newest = new Map<string, number>();

  constructor(
    private readonly limits: RingLimits,
    /** An event leaves the ring (evicted or expired), oldest first. */
    private readonly onEvict: (e: RetainedEvent) => void,
  ) {}

  /** The last seq assigned (0 before the first event). */
  get lastSeq(): number {
    return this.seq;
  }

  /** The oldest seq still retained (lastSeq + 1 when none is). */
  get firstSeq(): number {
    return this.seq - (this.slots.length - this.head) + 1;
  }

  /** What /stats shows (`pushes.replay`): the run, the last seq, the oldest retained, and what it holds. */
  state(): RingState {
    return { epoch: this.epoch, seq: this.seq, firstSeq: this.firstSeq, events: this.slots.length - this.head, bytes: this.bytes };
  }

  /** Sequence a pushed event and keep it; returns it as clients get it. */
  append(e: PushedEvent, bytes: number, now: number): RetainedEvent {
    const seq = ++this.seq;
    const meta: PushMeta = e.reqId ? { seq, ts: now, reqId: e.reqId } : { seq, ts: now };
    const entry: RetainedEvent = { event: e.event, data: e.data, latest: e.qos === 'latest', bytes, meta };
    this.slots.push(entry);
    this.bytes += bytes;
    if (entry.latest) this.newest.set(entry.event, seq);
    while (this.head < this.slots.length && (this.slots.length - this.head > this.limits.maxEvents || this.bytes > this.limits.maxBytes)) this.evictOldest();
    this.expire(now);
    return entry;
  }

  /** Evict what is older than `replay.max_age`. */
  expire(now: number): void {
    const oldest = now - this.limits.maxAgeMs;
    while (this.head < this.slots.length && this.slots[this.head]!.meta.ts < oldest) this.evictOldest();
  }

  get(seq: number): RetainedEvent | undefined {
    const first = this.firstSeq;
    return seq >= first && seq <= this.seq ? this.slots[this.head + seq - first] : undefined;
  }

  /** A `"latest"` event a newer one of the same name has replaced. */
  superseded(e: RetainedEvent): boolean {
    return e.latest && (this.newest.get(e.event) ?? 0) > e.meta.seq;
  }

  private evictOldest(): void {
    const e = this.slots[this.head]!;
    this.slots[this.head++] = undefined;
    this.bytes -= e.bytes;
    if (e.latest && this.newest.get(e.event) === e.meta.seq) this.newest.delete(e.event);
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    this.onEvict(e);
  }
}
