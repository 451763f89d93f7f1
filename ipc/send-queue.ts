/**
 * zeromq.js allows one pending `send()` per socket; a second one throws EBUSY.
 * SendQueue serializes sends in call order. Callers that do not care about the
 * outcome of one send can ignore the returned promise: failures go to `onError`.
 */
type Frames = Array<string | Buffer | Uint8Array>;
interface Sendable {
  send(frames: Frames): Promise<void>;
}
interface Item {
  frames: Frames;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SendQueue {
  private readonly items: Item[] = [];
  private draining = false;

  constructor(
    private readonly socket: Sendable,
    /** Called for every send error: how the caller learns of a send nobody awaited. */
    private readonly onError: (err: unknown, frames: Frames) => void = () => {},
    /** Decides whether an error is worth another try (e.g. EAGAIN on a PUB with noDrop). */
    private readonly retryable: (err: unknown) => boolean = () => false,
  ) {}

  send(frames: Frames): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.items.push({ frames, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  get length(): number {
    return this.items.length;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let item = this.items.shift(); item; item = this.items.shift()) {
        try {
          await this.sendWithRetry(item.frames);
          item.resolve();
        } catch (err) {
          this.onError(err, item.frames);
          item.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async sendWithRetry(frames: Frames): Promise<void> {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        return await this.socket.send(frames);
      } catch (err) {
        if (!this.retryable(err)) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/** zeromq.js errors carry the errno name in `code`. */
export function zmqErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
