/**
 * Log lines gathered for up to LOG_BATCH_MS before they go to pino's transport thread.
 *
 * The transport hands what was written in a turn of the event loop to its thread and
 * wakes it (Atomics.notify); the thread then writes beside the event loop. For
 * commands one at a time that is a wake-up per command, and on two cores the thread
 * runs where the worker or the client would: measured (`npm run bench -- --only
 * seq,pipelined --rounds 5`, six pairs), the `process` p50 was 1.37-1.42x of the bare
 * chain handing over every turn and 1.24-1.31x every 10 ms (docs/PERFORMANCE.md).
 *
 * A line waits here at most LOG_BATCH_MS (or until MAX_BATCH_BYTES are waiting);
 * flush() and flushSync() (pino's, and a fatal line's) hand it over at once, and so
 * does the process's exit, before the transport's own exit hook ends it. Lines that come
 * due once the transport is ended (closeLogger) are dropped and counted, never written
 * to it: a write then fails later, as an 'error' of the transport.
 */
import type { EventEmitter } from 'node:events';

export const LOG_BATCH_MS = 10;
const MAX_BATCH_BYTES = 64 * 1024;

/** What the lines go to: pino's transport (a ThreadStream). */
export interface LineSink extends Pick<EventEmitter, 'emit'> {
  /** False once it is ending or gone (ThreadStream has it; its type does not say so). */
  readonly writable?: boolean;
  write(text: string): boolean;
  flush(cb: (err?: Error | null) => void): void;
  flushSync(): void;
}

/** Every batch with lines waiting, handed over on exit. */
const waiting = new Set<LineBatch>();
let exitHooked = false;

export class LineBatch {
  private text = '';
  private timer: NodeJS.Timeout | null = null;

  /** `refuse()`: true when a line is not to be written (it counts it); `dropped(n)`: n lines came due after the sink ended. */
  constructor(
    private readonly out: LineSink,
    private readonly refuse: () => boolean = () => false,
    private readonly dropped: (lines: number) => void = () => {},
  ) {
    if (!exitHooked) {
      exitHooked = true;
      // First among the exit listeners: pino's transport ends itself in one of them.
      process.prependListener('exit', () => {
        for (const batch of waiting) batch.handOver();
      });
    }
  }

  write(line: string): boolean {
    if (this.refuse()) return true;
    this.text += line;
    if (this.text.length >= MAX_BATCH_BYTES) this.handOver();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.handOver(), LOG_BATCH_MS).unref();
      waiting.add(this);
    }
    return true;
  }

  flush(cb: (err?: Error | null) => void): void {
    this.handOver();
    this.out.flush(cb);
  }

  flushSync(): void {
    this.handOver();
    this.out.flushSync();
  }

  /** pino tells its transport its configuration by an event: passed on. */
  emit(event: string | symbol, ...args: unknown[]): boolean {
    return this.out.emit(event, ...args);
  }

  /** Hand what waits to the transport now. */
  handOver(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      waiting.delete(this);
    }
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
    if (this.out.writable !== false) this.out.write(text);
    else this.dropped(text.split('\n').length - 1);
  }
}
