/**
 * zeromq.js allows one pending `send()` per socket; a second one throws EBUSY.
 * SendQueue serializes sends in call order. `post()` queues without a promise
 * (the hot paths: replies, requests, robot pushes); `send()` is the same with one.
 * The queue is an array read from a moving head: `shift()` would make a flood of
 * pushes quadratic in its size.
 */
type Frames = Array<string | Buffer | Uint8Array>;
interface Sendable {
  send(frames: Frames): Promise<void>;
}
/** Told once a send is done: no argument on success, the error otherwise. */
type Done = (err?: unknown) => void;
interface Item {
  frames: Frames;
  done: Done | undefined;
}

const MAX_RETRY_DELAY_MS = 50;

export class SendQueue {
  private items: Array<Item | undefined> = [];
  private head = 0;
  private draining = false;

  constructor(
    private readonly socket: Sendable,
    /** Called for every send error: how the caller learns of a send nobody waits for. */
    private readonly onError: (err: unknown, frames: Frames) => void = () => {},
    /** Decides whether an error is worth another try (e.g. EAGAIN on a PUB with noDrop). */
    private readonly retryable: (err: unknown) => boolean = () => false,
  ) {}

  /** Queue `frames`; `done` (if given) is told the outcome. */
  post(frames: Frames, done?: Done): void {
    this.items.push({ frames, done });
    if (!this.draining) this.next();
  }

  send(frames: Frames): Promise<void> {
    return new Promise<void>((resolve, reject) => this.post(frames, (err) => (err === undefined ? resolve() : reject(err))));
  }

  private next(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.draining = false;
      return;
    }
    this.draining = true;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined;
    this.attempt(item, 1);
  }

  private attempt(item: Item, retryDelay: number): void {
    this.socket.send(item.frames).then(
      () => this.finish(item, undefined),
      (err: unknown) => {
        if (this.retryable(err)) {
          setTimeout(() => this.attempt(item, Math.min(retryDelay * 2, MAX_RETRY_DELAY_MS)), retryDelay);
          return;
        }
        this.onError(err, item.frames);
        this.finish(item, err);
      },
    );
  }

  private finish(item: Item, err: unknown): void {
    try {
      item.done?.(err);
    } finally {
      this.next();
    }
  }
}

/** zeromq.js errors carry the errno name in `code`. */
export function zmqErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
