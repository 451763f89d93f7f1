/**
 * Per-client throttles (docs/REPLAY.md, `subscribe`): a client asks for at most
 * `max_rate_hz` of a `"latest"` event; at most one goes per interval, and the newest one
 * waiting goes when its turn comes, so it is never held back longer than an interval.
 */
import { BrokerError } from '../../ipc/errors.js';
import type { SubscriptionsResult } from '../../ipc/protocol.js';
import { errorAck, reply, splitArgs } from '../commands.js';
import { parseSubscription, type Feed, type Throttle } from './feed.js';
import type { RetainedEvent } from './ring.js';

/** Throttled event names per client. */
const MAX_SUBSCRIPTIONS = 100;

export class Throttles {
  constructor(
    /** Send one event to one client. */
    private readonly send: (feed: Feed, e: RetainedEvent) => void,
  ) {}

  /** `subscribe` and `unsubscribe` on a client's socket, answered like every command (an error without an ack as `broker_error`). */
  attach(feed: Feed): void {
    for (const command of ['subscribe', 'unsubscribe'] as const) {
      feed.socket.on(command, (...args: unknown[]) => {
        const { payload, ack } = splitArgs(args);
        let response;
        try {
          response = { status: 'success' as const, message: `${command}d`, data: this.change(feed, command, payload) };
        } catch (err) {
          response = errorAck(BrokerError.from(err));
        }
        reply(feed.socket, ack, response);
      });
    }
  }

  /** At most one per interval: now if its turn has come, else the newest waits for it. */
  offer(feed: Feed, t: Throttle, e: RetainedEvent): void {
    const now = Date.now();
    if (!t.timer && now >= t.nextAt) {
      t.nextAt = now + t.intervalMs;
      this.send(feed, e);
      return;
    }
    t.pending = e;
    t.timer ??= setTimeout(() => {
      t.timer = undefined;
      const next = t.pending;
      t.pending = undefined;
      if (next && !feed.closed) {
        t.nextAt = Date.now() + t.intervalMs;
        this.send(feed, next);
      }
    }, Math.max(0, t.nextAt - now));
  }

  /** `subscribe` / `unsubscribe`: a throttle set, replaced or dropped (what it held back goes now). */
  private change(feed: Feed, command: 'subscribe' | 'unsubscribe', payload: unknown): SubscriptionsResult {
    const { event, maxRateHz } = parseSubscription(command, payload);
    const old = feed.throttles.get(event);
    clearTimeout(old?.timer);
    feed.throttles.delete(event);
    if (old?.pending) this.send(feed, old.pending);
    if (maxRateHz !== null) {
      if (feed.throttles.size >= MAX_SUBSCRIPTIONS) {
        throw new BrokerError('E_INVALID_PAYLOAD', `subscribe: at most ${MAX_SUBSCRIPTIONS} throttled events per client`, { limit: MAX_SUBSCRIPTIONS });
      }
      feed.throttles.set(event, { maxRateHz, intervalMs: 1000 / maxRateHz, nextAt: 0, pending: undefined, timer: undefined });
    }
    return feed.subscriptions();
  }
}
