/**
 * The writer thread from the main thread's side: started on the first recording and
 * kept for the next ones (starting a thread and its WebAssembly zstd takes most of a
 * second on a busy machine; a warm one opens a file at once). Each recording talks to it
 * under its own id. The thread never keeps the process alive on its own (unref): the
 * broker finishes its recording before it exits.
 */
import { Worker } from 'node:worker_threads';
import type { FromWriter, ToWriter, WriterSetup } from './writer-protocol.js';

const SCRIPT = new URL('./writer-thread.js', import.meta.url);

export interface WriterListener {
  message(m: FromWriter): void;
  /** The thread died (an error in it, or terminate()): nothing more will come. */
  gone(reason: string): void;
}

export class WriterThread {
  private worker: Worker | null = null;
  private readonly listeners = new Map<number, WriterListener>();
  private nextId = 1;

  /** Start a recording in the thread (starting the thread if need be); its messages go to `listener`. */
  open(setup: WriterSetup, listener: WriterListener): number {
    const id = this.nextId++;
    this.listeners.set(id, listener);
    this.thread().postMessage({ type: 'open', id, setup } satisfies ToWriter);
    return id;
  }

  post(m: ToWriter, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(m, transfer);
  }

  /** The recording is over: its messages are no longer wanted. */
  release(id: number): void {
    this.listeners.delete(id);
  }

  async terminate(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.died('the writer thread was stopped');
    await w.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(SCRIPT);
    w.unref();
    w.on('message', (m: FromWriter) => this.listeners.get(m.id)?.message(m));
    w.on('error', (err) => this.died(`writer thread failed: ${err.message}`));
    w.on('exit', (code) => this.died(`writer thread exited (code ${code})`));
    this.worker = w;
    return w;
  }

  private died(reason: string): void {
    this.worker = null;
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    for (const l of listeners) l.gone(reason);
  }
}
