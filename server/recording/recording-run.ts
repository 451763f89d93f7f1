/**
 * One recording in progress: the bounded queue in front of the writer thread.
 *
 * The hot path (`offer`) turns a record into JSON text and appends its UTF-8 to the queue; the
 * queue goes to the thread as one batch every FLUSH_MS, or as soon as it holds FLUSH_BYTES
 * (a thread woken per command, or per event-loop turn of a flood, cost the hot path more
 * than the recording itself). The bound counts every
 * byte queued or handed to the thread and not yet written: past `maxQueueBytes` a record
 * is dropped, never waited for. Drops are counted, and reported into the file itself as
 * a metadata record (at most every DROP_REPORT_MS) and in the status (`/stats`).
 */
import type { TapRecord } from './tap.js';
import type { WriterThread } from './writer.js';
import type { Batch, FromWriter, ToWriter, WriterSetup } from './writer-protocol.js';

/** What a queued record costs beyond its JSON text (its strings and array slots), bytes. */
const RECORD_OVERHEAD = 64;
/** How long records wait for their batch, at most, ms; and how many bytes make a batch go at once. */
const FLUSH_MS = 50;
const FLUSH_BYTES = 256 * 1024;
/** How often, at most, drops are written into the file, ms. */
const DROP_REPORT_MS = 250;
/** How long a new writer thread may take to create its file, ms. */
const OPEN_TIMEOUT_MS = 15_000;
/** How long the thread may take to write what is queued and finish the file, ms. */
const CLOSE_TIMEOUT_MS = 30_000;

/** A batch being filled: its arrays and its bytes grow by doubling and go as they are (transferred). */
interface Filling {
  count: number;
  topicIds: Uint32Array<ArrayBuffer>;
  at: Float64Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  /** The JSON texts, UTF-8, end to end; `used` bytes of it so far. */
  data: Buffer;
  used: number;
  topics: Batch['topics'];
  cost: number;
}

/** Texts up to this long are written by hand when they are ASCII (most JSON is): cheaper than a call to the UTF-8 encoder. */
const SMALL_TEXT = 64;

/** `text` into `into` at `at` if every character is ASCII (its length is then its size in bytes); else -1, and what was written is to be written over. */
function writeAscii(into: Buffer, text: string, at: number): number {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c > 0x7f) return -1;
    into[at + k] = c;
  }
  return text.length;
}

/** A buffer of its own (not a slice of Node's pool), so that it can be transferred. */
const ownBuffer = (bytes: number): Buffer => Buffer.from(new ArrayBuffer(bytes));

function emptyBatch(): Filling {
  return { count: 0, topicIds: new Uint32Array(256), at: new Float64Array(256), ends: new Uint32Array(256), data: ownBuffer(64 * 1024), used: 0, topics: [], cost: 0 };
}

export class RecordingRun {
  readonly startedAt = Date.now();
  /** The file being written, then the last one written. */
  file: string | null = null;
  files: string[] = [];
  messages = 0;
  bytes = 0;
  dropped = 0;
  /** Why the recording stopped on its own (the writer failed), if it did. */
  error: string | null = null;
  /** Bytes queued here or in the thread, not yet written. */
  private pending = 0;
  private batch = emptyBatch();
  /** Each topic's number, given the first time it is queued. */
  private readonly topicIds = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushNow = false;
  private unreported = { count: 0, firstAt: 0, lastAt: 0 };
  private dropTimer: NodeJS.Timeout | undefined;
  private finished = false;
  /** The thread wrote the summary and closed the last file. */
  private complete = false;
  private readonly id: number;
  private readonly opened: Promise<void>;
  private readonly closed: Promise<void>;

  constructor(
    private readonly writer: WriterThread,
    setup: WriterSetup,
    private readonly maxQueueBytes: number,
    /** The writer failed: the run is over (after `error` is set). */
    private readonly onFailed: (run: RecordingRun) => void,
  ) {
    let opened!: () => void;
    let openFailed!: (e: Error) => void;
    this.opened = new Promise<void>((resolve, reject) => ((opened = resolve), (openFailed = reject)));
    this.opened.catch(() => {}); // awaited by ready()
    let closed!: () => void;
    this.closed = new Promise<void>((resolve) => (closed = resolve));
    const failWith = (message: string) => {
      closed(); // nothing more will be written
      if (this.error !== null) return;
      this.error = message;
      openFailed(new Error(message));
      this.writer.release(this.id);
      if (this.finished) return;
      this.stopQueue();
      this.onFailed(this);
    };
    this.id = writer.open(setup, {
      message: (m: FromWriter) => {
        switch (m.type) {
          case 'opened':
            this.file = m.file;
            this.files.push(m.file);
            opened();
            return;
          case 'written':
            this.pending -= m.cost;
            this.messages = m.messages;
            this.bytes = m.bytes;
            return;
          case 'rotated':
            this.file = m.file;
            this.files.push(m.file);
            return;
          case 'closed':
            this.messages = m.messages;
            this.bytes = m.bytes;
            this.complete = true;
            closed();
            return;
          case 'failed':
            failWith(m.code === 'ENOSPC' || m.code === 'EDQUOT' ? `disk full (${m.message})` : m.message);
            return;
        }
      },
      gone: failWith,
    });
  }

  /** Resolves once the first file exists; rejects with the reason it could not be made. */
  async ready(): Promise<void> {
    try {
      await withDeadline(this.opened, OPEN_TIMEOUT_MS, 'the recording file was not created in time');
    } catch (err) {
      // A thread that cannot create a file in time is not trusted with the next one (its `gone` ends this run).
      if (this.error === null) await this.writer.terminate();
      throw err;
    }
  }

  /** Queue one record, or drop it when the queue is full. Never waits. */
  readonly offer = (r: TapRecord): void => {
    if (this.finished) return;
    if (this.pending >= this.maxQueueBytes) return this.drop(r.at);
    let json: string | undefined;
    try {
      json = JSON.stringify(r.data);
    } catch {
      json = JSON.stringify({ unserializable: String(r.data) });
    }
    json ??= 'null';
    const b = this.batch;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: room for the worst case, then the real size.
    if (b.used + json.length * 3 > b.data.length) {
      const bigger = ownBuffer(Math.max(b.data.length * 2, b.used + json.length * 3));
      b.data.copy(bigger, 0, 0, b.used);
      b.data = bigger;
    }
    let bytes = json.length <= SMALL_TEXT ? writeAscii(b.data, json, b.used) : -1;
    if (bytes < 0) bytes = b.data.write(json, b.used, 'utf8');
    const cost = bytes + RECORD_OVERHEAD;
    if (this.pending + cost > this.maxQueueBytes) return this.drop(r.at);
    this.pending += cost;
    let topicId = this.topicIds.get(r.topic);
    if (topicId === undefined) {
      this.topicIds.set(r.topic, (topicId = this.topicIds.size));
      b.topics.push({ id: topicId, topic: r.topic, source: r.source });
    }
    const i = b.count++;
    if (i === b.at.length) {
      b.topicIds = grown(b.topicIds, new Uint32Array(i * 2));
      b.at = grown(b.at, new Float64Array(i * 2));
      b.ends = grown(b.ends, new Uint32Array(i * 2));
    }
    b.used += bytes;
    b.topicIds[i] = topicId;
    b.at[i] = r.at;
    b.ends[i] = b.used;
    b.cost += cost;
    if (b.cost >= FLUSH_BYTES) {
      if (!this.flushNow) {
        this.flushNow = true;
        setImmediate(this.flush);
      }
    } else {
      this.flushTimer ??= setTimeout(this.flush, FLUSH_MS);
    }
  };

  /** Bytes waiting to be written. */
  get queueBytes(): number {
    return this.pending;
  }

  /** Write what is queued, the drops not yet reported and `summary`, and close the file. */
  async finish(summary: Record<string, string>): Promise<void> {
    if (this.finished) return;
    this.flush();
    this.reportDrops();
    this.stopQueue();
    if (this.error) return;
    this.post({ type: 'close', summary: { ...summary, dropped: String(this.dropped) } });
    try {
      await withDeadline(this.closed, CLOSE_TIMEOUT_MS, 'the writer did not finish the file in time');
      if (!this.complete) this.error ??= 'the writer stopped before finishing the file';
    } catch (err) {
      this.error = (err as Error).message;
      // A thread that cannot finish a file in CLOSE_TIMEOUT_MS is not trusted with the next one.
      await this.writer.terminate();
    } finally {
      this.writer.release(this.id);
    }
  }

  private drop(at: number): void {
    this.dropped++;
    const u = this.unreported;
    if (u.count++ === 0) u.firstAt = at;
    u.lastAt = at;
    this.dropTimer ??= setTimeout(() => this.reportDrops(), DROP_REPORT_MS);
  }

  private reportDrops(): void {
    clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
    const u = this.unreported;
    if (u.count === 0 || this.finished) return;
    // Outside the byte budget: one small record per DROP_REPORT_MS at most.
    this.post({ type: 'drops', count: u.count, total: this.dropped, firstAt: u.firstAt, lastAt: u.lastAt });
    this.unreported = { count: 0, firstAt: 0, lastAt: 0 };
  }

  private readonly flush = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushNow = false;
    if (this.batch.count === 0 || this.finished) return;
    const b = this.batch;
    this.batch = emptyBatch();
    const { topicIds, at, ends } = b;
    const data = b.data.buffer as ArrayBuffer;
    this.writer.post({ type: 'batch', count: b.count, topicIds, at, ends, data, topics: b.topics, cost: b.cost }, [topicIds.buffer, at.buffer, ends.buffer, data]);
  };

  private stopQueue(): void {
    this.finished = true;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
  }

  private post(m: ToWriter): void {
    this.writer.post(m);
  }
}

/** `to`, holding what `from` held. */
function grown<T extends Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
