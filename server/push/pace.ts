/**
 * The controller paces the robot's pushes (docs/REPLAY.md): while its write buffer holds
 * `threshold` packets or more, or it is behind (fed from the ring: one message of pushes
 * can take it past the limit at once), the broker reads no more pushes from the worker's
 * publisher. They wait in ZeroMQ's pipe and then in the worker, so a controller on a
 * slow link gets every `"all"` event instead of falling behind the replay ring and
 * losing what leaves it. Observers never pace: one that stops reading cannot slow the
 * robot for the others (it falls behind and is told what it lost).
 *
 * A hold lasts at most `holdMs` (`websocket.controller_hold`; 0: no pacing): a controller that stalls longer (a laptop asleep with
 * its connection open) must not grow the worker's memory without end. It is then fed
 * like any client (behind, from the ring) until its buffer drains once.
 */
import type { Feed } from './feed.js';

interface Held {
  promise: Promise<void>;
  release: () => void;
  timer: NodeJS.Timeout;
}

export class Pacer {
  private held: Held | null = null;
  /** The last hold ran out: no pacing until the controller's buffer drains. */
  private givenUp = false;

  constructor(
    private readonly threshold: number,
    private readonly holdMs: number,
    private readonly onExpired: () => void,
  ) {}

  /** Before the next message of pushes is read: a promise while the controller's `feed` is backed up. */
  wait(feed: Feed | undefined): Promise<void> | undefined {
    if (this.held) return this.held.promise;
    if (!feed || this.holdMs === 0 || this.givenUp || (!feed.behind && feed.backlog() < this.threshold)) return undefined;
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    const timer = setTimeout(() => {
      this.givenUp = true;
      this.onExpired();
      this.release();
    }, this.holdMs);
    this.held = { promise, release, timer };
    return promise;
  }

  /** The controller's buffer was handed to its transport, or it left: read on. */
  drained(): void {
    this.givenUp = false;
    this.release();
  }

  release(): void {
    const h = this.held;
    if (!h) return;
    this.held = null;
    clearTimeout(h.timer);
    h.release();
  }
}
