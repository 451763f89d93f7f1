/**
 * The controller paces the robot's pushes (docs/REPLAY.md): while its write buffer holds
 * `threshold` packets or more, or it is behind (fed from the ring: one message of pushes
 * can take it past the limit at once), the broker reads no more pushes from the worker's
 * publisher. They wait in ZeroMQ's pipe and then in the worker, so a controller on a
 * slow link gets every `"all"` event instead of falling behind the replay ring and
 * losing what leaves it. Observers never pace: one that stops reading cannot slow the
 * robot for the others (it falls behind and is told what it lost).
 *
 * Holding is bounded by a budget of `holdMs` (`websocket.controller_hold`; 0: no
 * pacing), spent while the pushes are held and earned back at the same rate while they
 * flow. A controller that stalls (a laptop asleep with its connection open), or reads
 * slower than the robot pushes for long, must not grow the worker's memory without end:
 * once the budget is spent it is fed like any client (behind, from the ring) until it
 * has caught up.
 */
import type { Feed } from './feed.js';

interface Held {
  promise: Promise<void>;
  release: () => void;
  timer: NodeJS.Timeout;
  since: number;
}

export class Pacer {
  private held: Held | null = null;
  /** The budget ran out: no pacing until the controller has caught up. */
  private givenUp = false;
  /** Ms the intake may still be held, as of `budgetAt`. */
  private budget: number;
  private budgetAt = Date.now();

  constructor(
    private readonly threshold: number,
    private readonly holdMs: number,
    private readonly onExpired: () => void,
  ) {
    this.budget = holdMs;
  }

  /** Before the next message of pushes is read: a promise while the controller's `feed` is backed up. */
  wait(feed: Feed): Promise<void> | undefined {
    if (this.held) return this.held.promise;
    if (this.holdMs === 0) return undefined;
    const backedUp = feed.behind || feed.backlog() >= this.threshold;
    if (!backedUp) {
      this.givenUp = false; // caught up
      return undefined;
    }
    if (this.givenUp) return undefined;
    const now = Date.now();
    this.budget = Math.min(this.holdMs, this.budget + (now - this.budgetAt)); // earned while the pushes flowed
    this.budgetAt = now;
    if (this.budget <= 0) {
      this.expire();
      return undefined;
    }
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    const timer = setTimeout(() => {
      this.release();
      this.expire();
    }, this.budget);
    this.held = { promise, release, timer, since: now };
    return promise;
  }

  /** The controller's buffer was handed to its transport, or it left: read on. */
  release(): void {
    const h = this.held;
    if (!h) return;
    this.held = null;
    clearTimeout(h.timer);
    const now = Date.now();
    this.budget -= now - h.since;
    this.budgetAt = now;
    h.release();
  }

  private expire(): void {
    this.givenUp = true;
    this.onExpired();
  }
}
