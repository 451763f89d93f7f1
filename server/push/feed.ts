/**
 * One client's side of the push stream (relay.ts): whether it asked for meta, whether it
 * is live (in the namespace broadcast) or behind (fed from the replay ring as its write
 * buffer drains), its throttles (`subscribe`), and what it lost and has not been told yet.
 */
import { BrokerError } from '../../ipc/errors.js';
import { MAX_EVENT_NAME, type ReplayGap, type SubscriptionsResult } from '../../ipc/protocol.js';
import type { ClientSocket } from '../commands.js';
import type { RetainedEvent } from './ring.js';

/** A `subscribe`d event: at most one per interval, the newest held back until its turn. */
export interface Throttle {
  readonly maxRateHz: number;
  readonly intervalMs: number;
  /** Not before this (ms since the epoch) may the next one go. */
  nextAt: number;
  pending: RetainedEvent | undefined;
  timer: NodeJS.Timeout | undefined;
}

const MAX_RATE_HZ = 1000;

/** A `subscribe`/`unsubscribe` payload, checked: the event, and the rate (null: unsubscribe). */
export function parseSubscription(command: 'subscribe' | 'unsubscribe', payload: unknown): { event: string; maxRateHz: number | null } {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const event = p.event;
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME) {
    throw new BrokerError('E_INVALID_PAYLOAD', `${command}: event must be an event name of 1 to ${MAX_EVENT_NAME} characters`, { field: 'event' });
  }
  if (command === 'unsubscribe') return { event, maxRateHz: null };
  const hz = p.max_rate_hz;
  if (typeof hz !== 'number' || !(hz > 0) || hz > MAX_RATE_HZ) {
    throw new BrokerError('E_INVALID_PAYLOAD', `subscribe: max_rate_hz must be a number above 0 and at most ${MAX_RATE_HZ}`, { field: 'max_rate_hz', limit: MAX_RATE_HZ });
  }
  return { event, maxRateHz: hz };
}

export class Feed {
  /** Fed from the ring from `cursor` on (not in the broadcast) until it catches up. */
  behind = false;
  cursor = 0;
  readonly throttles = new Map<string, Throttle>();
  /** `"latest"` events held back while its write buffer is backed up, the newest per name, sent on the next drain. */
  readonly parked = new Map<string, RetainedEvent>();
  /** Events lost for this client, to be told (`replay_gap`) before the next one it gets. */
  gap: ReplayGap | null = null;
  /** It left (close()): a throttle's timer or a late drain finds nothing to do. */
  closed = false;
  /** Lost events (`events_shed`): since the last report, and since it connected. */
  shedSinceReport = 0;
  shedTotal = 0;

  constructor(
    readonly socket: ClientSocket,
    /** Pushed events carry PushMeta; `replay_info` and `replay_gap` are sent. */
    readonly meta: boolean,
    /** It paces the robot's pushes now (the controller: pace.ts). */
    readonly paces: () => boolean,
  ) {}

  get id(): string {
    return this.socket.id;
  }

  /** Packets waiting in engine.io's write buffer: grows when the client reads slower than we send. */
  backlog(): number {
    // engine.io types writeBuffer as private; it is the documented-by-use measure of backpressure.
    return (this.socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
  }

  /** An event this client will never get. */
  lost(seq: number, reason: ReplayGap['reason'] = 'evicted'): void {
    this.shedSinceReport++;
    this.shedTotal++;
    // One gap for a run of losses: from..to may hold "latest" events that were replaced, not lost.
    if (this.gap && this.gap.reason === reason) this.gap.to = seq;
    else {
      this.tellGap();
      this.gap = { from: seq, to: seq, reason };
    }
  }

  /** Tell the client what it lost (meta clients only: the others hear of it in `events_shed`). */
  tellGap(): void {
    if (!this.gap) return;
    if (this.meta) this.socket.emit('replay_gap', this.gap);
    this.gap = null;
  }

  /** Send one event to this client alone. */
  send(e: RetainedEvent): void {
    this.tellGap();
    const emit = this.socket.emit as (event: string, ...args: unknown[]) => boolean;
    if (this.meta) emit.call(this.socket, e.event, e.data, e.meta);
    else emit.call(this.socket, e.event, e.data);
  }

  subscriptions(): SubscriptionsResult {
    return { subscriptions: Object.fromEntries([...this.throttles].map(([name, t]) => [name, { max_rate_hz: t.maxRateHz }])) };
  }

  close(): void {
    this.closed = true;
    for (const t of this.throttles.values()) clearTimeout(t.timer);
    this.throttles.clear();
    this.parked.clear();
  }
}
