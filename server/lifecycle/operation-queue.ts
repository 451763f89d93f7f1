/**
 * One queue for every operation that changes which worker runs what: start, restart
 * (after a crash), update, and `start` clearing the failed state. They run one at a
 * time, in order; crash recovery goes to the head of the line. `close()` is how stop
 * passes through: it refuses new operations, cancels the queued ones and aborts the
 * running one (its waits are `abortable`, so it notices at once and acts no further).
 */
import { BrokerError } from '../../ipc/errors.js';

/** An operation: it gets a signal that is aborted when the broker stops. */
export type Operation<T> = (signal: AbortSignal) => Promise<T>;

interface Queued {
  name: string;
  run: Operation<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class OperationQueue {
  private readonly waiting: Queued[] = [];
  private running: { name: string; controller: AbortController; done: Promise<void> } | null = null;
  private closedBy: BrokerError | null = null;

  /** Run `op` after the ones before it (`urgent`: before every queued one, after the running one). */
  run<T>(name: string, op: Operation<T>, options: { urgent?: boolean } = {}): Promise<T> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    return new Promise<T>((resolve, reject) => {
      const item: Queued = { name, run: op, resolve: resolve as (v: unknown) => void, reject };
      if (options.urgent) this.waiting.unshift(item);
      else this.waiting.push(item);
      this.next();
    });
  }

  /** The operation running now, if any (for logs and tests). */
  get current(): string | null {
    return this.running?.name ?? null;
  }

  /** Refuse new operations, cancel the queued ones, abort the running one. Resolves when it has settled. */
  close(reason: BrokerError): Promise<void> {
    this.closedBy ??= reason;
    for (const q of this.waiting.splice(0)) q.reject(reason);
    this.running?.controller.abort(reason);
    return this.running?.done ?? Promise.resolve();
  }

  private next(): void {
    if (this.running || this.waiting.length === 0) return;
    const item = this.waiting.shift()!;
    const controller = new AbortController();
    const running = { name: item.name, controller, done: Promise.resolve() };
    this.running = running;
    running.done = Promise.resolve()
      .then(() => item.run(controller.signal))
      .then(item.resolve, item.reject)
      .finally(() => {
        this.running = null;
        this.next();
      });
  }
}
