/**
 * Unpacking runs off the server's event loop, in a `worker_threads` thread with its
 * own heap limit: a 100 MB archive (or an adm-zip bug: a throw, an endless parse, a
 * heap blow-up) costs that thread, never the server. Whatever goes wrong there is an
 * `update` error with a code; the server goes on serving calls meanwhile.
 *
 * A thread is kept ready (`warm()`: starting one and loading adm-zip costs ~120 ms on a
 * quiet 2-core machine, an update's whole time twice over). Once a thread that served
 * uploads has been idle for UNPACK_IDLE_MS it is replaced by a fresh one: what the old
 * one held (its heap keeps a moved upload until it collects, which an idle thread never
 * does) goes back, and the next update still finds a thread ready. One that died, ran out
 * of memory or overran its deadline is thrown away; the next job, or the idle time, starts
 * a fresh one.
 *
 * A thread is ended by asking it (`stop`: it exits between two steps of its work), and
 * terminated only if it has not within STOP_GRACE_MS (a job stuck in one long synchronous
 * step). `Worker.terminate()` can land between the creation of a zlib stream and its
 * initialisation, inside adm-zip's inflate or deflate; the thread's cleanup then fails a
 * native assertion (node_zlib.cc, "close before init") that aborts the whole process: the
 * server. Seen once in a CI run (ci195), in a test that ends threads mid-rehearsal.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BrokerError, type WireError } from '../../ipc/errors.js';
import type { UnpackLimits, UnpackResult } from './unpack.js';

/** The thread's heap: room for the archive, adm-zip's entry table and inflate buffers. */
export const UNPACK_HEAP_MB = 512;

/**
 * What the thread is told (unpack-worker.ts). `unpack` (a whole upload) and `finish` (one
 * that was `open`ed and sent its pieces) are answered; the others are not.
 */
export type UnpackJob =
  | { type: 'unpack'; id: number; zip: Uint8Array; target: string; limits: UnpackLimits }
  | { type: 'open'; id: number; total: number; target: string; limits: UnpackLimits }
  | { type: 'piece'; id: number; data: Uint8Array }
  | { type: 'finish'; id: number }
  | { type: 'abandon'; id: number }
  /** Exit now, between two steps of the work (never inside one, as terminate() may). */
  | { type: 'stop' };
/** What the thread posts back. */
export type UnpackReply = { id: number; ok: true; result: UnpackResult } | { id: number; ok: false; message: string; error: WireError };

const SCRIPT = new URL('./unpack-worker.js', import.meta.url);

/** A thread asked to stop that has not exited within this long is terminated. */
export const STOP_GRACE_MS = 2000;

/** A thread that served uploads and then had no job and no upload arriving for this long is replaced by a fresh one: what it holds (~60 MB after a 50 MB upload; ~20 MB fresh) goes back. */
export const UNPACK_IDLE_MS = 30_000;

export interface UnpackThreadOptions {
  /** The thread's heap limit, MB. */
  heapMb?: number;
  /** How long a thread that served uploads idles before it is replaced. */
  idleMs?: number;
  /**
   * Where each fresh thread rehearses an unpack (unpack-worker.ts), a folder of its own
   * in here that is removed when the thread ends, whenever it ends (terminated in the
   * middle of its rehearsal too). The project store gives one under its root, which it
   * empties at start (what a killed server left); by default the system's temp folder.
   */
  rehearsalDir?: string;
}

/** What a new thread is told (its workerData). */
export interface UnpackThreadData {
  /** Its own folder to rehearse in: made, filled, emptied and removed by the thread. */
  rehearsal: string;
}

export class UnpackThread {
  private thread: Worker | null = null;
  /** The thread has been given a job or an upload since it started: it is replaced once idle. */
  private used = false;
  private closed = false;
  private nextId = 1;
  /** Jobs running and uploads arriving: while any, the thread is kept. */
  private busy = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly heapMb: number;
  private readonly idleMs: number;
  private readonly rehearsalDir: string;
  /** Threads started so far: names each one's rehearsal folder. */
  private started = 0;

  constructor(options: UnpackThreadOptions = {}) {
    this.heapMb = options.heapMb ?? UNPACK_HEAP_MB;
    this.idleMs = options.idleMs ?? UNPACK_IDLE_MS;
    this.rehearsalDir = options.rehearsalDir ?? tmpdir();
  }

  /** The running thread's id, or null when none runs (before `warm()` or the first job, after `close()`, after one was thrown away). */
  get threadId(): number | null {
    return this.thread?.threadId ?? null;
  }

  /** Start a thread now, so the first upload does not wait for one. */
  warm(): void {
    this.closed = false;
    this.thread ??= this.start();
  }

  /**
   * Unpack `upload` into the empty folder `target` (an IncomingUpload: finish unpacking it
   * into its own); bounded by `timeoutMs`. One job at a time (the supervisor's queue runs updates one by one).
   * A `zip` that owns its memory (an upload as Socket.IO or base64 decoding hands it over) is
   * moved to the thread, not copied: a 50 MB upload cost a second 50 MB and ~60 ms of
   * copying. Such a `zip` is empty afterwards: nothing may read it again.
   */
  unpack(upload: Upload, target: string, limits: UnpackLimits, timeoutMs: number): Promise<UnpackResult> {
    const thread = this.take();
    const id = upload instanceof IncomingUpload ? upload.id : this.nextId++;
    this.hold();
    return new Promise<UnpackResult>((resolve, reject) => {
      const done = (fn: () => void, broken: boolean): void => {
        clearTimeout(timer);
        thread.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (broken) this.discard(thread);
        fn();
      };
      const onMessage = (reply: UnpackReply): void => {
        if (reply.id !== id) return;
        done(() => (reply.ok ? resolve(reply.result) : reject(BrokerError.fromWire(reply.message, reply.error))), false);
      };
      const onError = (err: Error & { code?: string }): void =>
        done(
          () =>
            reject(
              err.code === 'ERR_WORKER_OUT_OF_MEMORY'
                ? new BrokerError('E_ZIP_LIMIT', `unpacking the ZIP needs more than ${this.heapMb} MB of memory`, { limit: 'memory', memoryMb: this.heapMb })
                : new BrokerError('E_INVALID_ZIP', `the ZIP could not be unpacked: ${err.message}`),
            ),
          true,
        );
      const onExit = (code: number): void => done(() => reject(new BrokerError('E_INTERNAL', `the unpack thread exited (code ${code}) without an answer`)), true);
      const timer = setTimeout(
        () => done(() => reject(new BrokerError('E_TIMEOUT', `unpacking did not finish within ${timeoutMs} ms`, { timeoutMs })), true),
        timeoutMs,
      );
      thread.on('message', onMessage).once('error', onError).once('exit', onExit);
      thread.ref(); // while it works, it is the reason to live
      if (upload instanceof IncomingUpload) thread.postMessage({ type: 'finish', id } satisfies UnpackJob);
      else thread.postMessage({ type: 'unpack', id, zip: upload, target, limits } satisfies UnpackJob, ownsItsMemory(upload) ? [upload.buffer] : []);
    }).finally(() => {
      this.thread?.unref();
      if (upload instanceof IncomingUpload) upload.end();
      this.release();
    });
  }

  /**
   * An upload of `total` bytes arriving in pieces: the thread keeps it (the server keeps
   * none of it) and unpacks it into `target` while it arrives; `unpack()` it once complete.
   * If the thread is replaced meanwhile (another job overran its deadline), the upload is
   * lost with it: `unpack()` answers E_INTERNAL, and the client sends it again.
   */
  open(total: number, target: string, limits: UnpackLimits): IncomingUpload {
    const thread = this.take();
    this.hold();
    const upload = new IncomingUpload(this.nextId++, target, total, (m, transfer) => this.thread?.postMessage(m, transfer), () => this.release());
    thread.postMessage({ type: 'open', id: upload.id, total, target, limits } satisfies UnpackJob);
    return upload;
  }

  /** Stop the thread (the broker is stopping): none is started again until a job (or `warm()`) asks for one. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const thread = this.thread;
    this.thread = null;
    if (thread) await endThread(thread);
  }

  /** The thread to give a job or an upload to: the ready one, or a new one. */
  private take(): Worker {
    this.used = true;
    return (this.thread ??= this.start());
  }

  private hold(): void {
    this.busy++;
    clearTimeout(this.idleTimer);
  }

  private release(): void {
    if (--this.busy > 0) return;
    this.idleTimer = setTimeout(() => this.renew(), this.idleMs);
    this.idleTimer.unref();
  }

  /** Idle: a thread that served uploads (or none, one having been thrown away) is replaced by a fresh one. */
  private renew(): void {
    if (this.closed || this.busy > 0 || (this.thread && !this.used)) return;
    const old = this.thread;
    this.thread = this.start();
    this.used = false;
    if (old) void endThread(old);
  }

  private start(): Worker {
    const rehearsal = join(this.rehearsalDir, `robot-control-unpack-${process.pid}-${++this.started}`);
    const workerData: UnpackThreadData = { rehearsal };
    const thread = new Worker(SCRIPT, { workerData, resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    thread.on('error', () => {}); // reported to the job that was running
    // A thread that ends with no job running (it died idle, or was terminated) is not handed the next one: that starts a fresh thread.
    thread.once('exit', () => {
      if (this.thread === thread) this.thread = null;
      void rm(rehearsal, { recursive: true, force: true }).catch(() => {}); // left when it ended mid-rehearsal
    });
    thread.unref();
    return thread;
  }

  private discard(thread: Worker): void {
    if (this.thread === thread) this.thread = null;
    void endThread(thread);
  }
}

/** Ask `thread` to exit; terminate it only if it has not within STOP_GRACE_MS. Resolves once it has exited. */
function endThread(thread: Worker): Promise<void> {
  if (thread.threadId === -1) return Promise.resolve(); // exited already
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => void thread.terminate(), STOP_GRACE_MS);
    thread.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    thread.postMessage({ type: 'stop' } satisfies UnpackJob);
  });
}

/** An upload arriving in pieces, each moved to the unpack thread as it comes: the thread holds the upload and unpacks it ahead (unpack-ahead.ts). */
export class IncomingUpload {
  private length = 0;
  private over = false;

  constructor(
    readonly id: number,
    /** The folder it is unpacked into. */
    readonly target: string,
    /** Its size, declared by its first piece. */
    readonly total: number,
    private readonly post: (m: UnpackJob, transfer: ArrayBuffer[]) => void,
    private readonly ended: () => void,
  ) {}

  /** It is unpacked, or abandoned: said once. */
  end(): void {
    if (this.over) return;
    this.over = true;
    this.ended();
  }

  /** Bytes that have arrived. */
  get received(): number {
    return this.length;
  }

  /**
   * Add the next piece (it must fit), moved to the thread: `data` itself when it owns its
   * memory (Socket.IO hands a piece over so; it is empty afterwards), else a copy.
   */
  append(data: Buffer): void {
    const moved = ownsItsMemory(data) ? data : new Uint8Array(data);
    this.length += moved.length;
    this.post({ type: 'piece', id: this.id, data: moved }, [moved.buffer as ArrayBuffer]);
  }

  /** It will not be unpacked (dropped, or its update refused before unpacking): the thread stops and removes what it wrote. A no-op once unpacked. */
  abandon(): void {
    if (this.over) return;
    this.post({ type: 'abandon', id: this.id }, []);
    this.end();
  }
}

/** A whole upload, or one that arrived in pieces. */
export type Upload = Buffer | IncomingUpload;

/** `buf` is the whole of its ArrayBuffer, so moving that takes nothing else along (Node's pool for small buffers is never whole: 8 KB, buffers under 4 KB). */
function ownsItsMemory(buf: Buffer): buf is Buffer<ArrayBuffer> {
  return buf.buffer instanceof ArrayBuffer && buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.byteLength > 0;
}
