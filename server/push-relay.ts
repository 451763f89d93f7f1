/**
 * Robot pushes, from the worker's PUB to the client. Never dropped silently: a
 * client too slow to keep up (its write buffer past `limit` packets) has new
 * events shed, and the sheds are counted and reported to it as `events_shed`.
 * Memory per client is so bounded by `limit` packets.
 */
import type { Rejection } from '../ipc/frames.js';
import { RESERVED_EVENTS, type PushedEvent, type ShedReport } from '../ipc/protocol.js';
import type { ClientSocket } from './commands.js';
import type { BrokerEvents } from './broker-events.js';
import type { Logger } from './logger.js';

/** Distinct pushed event names counted one by one; the rest are counted as "(other)". */
const MAX_EVENT_NAMES = 1000;

/** How often, at most, a shedding client is told about it (ms). */
const REPORT_EVERY_MS = 250;

export interface PushCounters {
  delivered: number;
  /** Shed because the client could not keep up. */
  shed: number;
  /** Pushed while no client was connected. */
  noClient: number;
  /** From a worker generation that is no longer current (a worker being replaced). */
  stale: number;
  /** Could not be encoded for the client (nested past what Socket.IO's encoder can recurse). */
  unsendable: number;
  byEvent: Map<string, number>;
}

export class PushRelay {
  readonly counters: PushCounters = { delivered: 0, shed: 0, noClient: 0, stale: 0, unsendable: 0, byEvent: new Map() };
  private shedSinceReport = 0;
  private shedForClient = 0;
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: () => ClientSocket | null,
    private readonly generation: () => number,
    private readonly limit: number,
    private readonly log: Logger,
    private readonly events: BrokerEvents,
    /** A push refused here (a reserved name: the worker checks too, but a push may come from anyone). */
    private readonly onReject: (r: Rejection) => void = () => {},
  ) {}

  /** A new client starts with a clean shed count. */
  clientChanged(): void {
    this.shedForClient = 0;
    this.shedSinceReport = 0;
  }

  onEvent(e: PushedEvent): void {
    if (RESERVED_EVENTS.has(e.event)) {
      this.onReject({ channel: 'events', reason: 'reserved_event', detail: `"${e.event}" is the broker's` });
      return;
    }
    if (e.generation !== this.generation()) {
      this.counters.stale++;
      return;
    }
    const byEvent = this.counters.byEvent;
    const name = byEvent.has(e.event) || byEvent.size < MAX_EVENT_NAMES ? e.event : '(other)';
    byEvent.set(name, (byEvent.get(name) ?? 0) + 1);
    const socket = this.client();
    if (!socket) {
      this.counters.noClient++;
      this.observe(e, 'no_client');
      return;
    }
    if (backlogOf(socket) >= this.limit) {
      this.counters.shed++;
      this.shedSinceReport++;
      this.shedForClient++;
      this.observe(e, 'shed');
      this.scheduleReport();
      return;
    }
    try {
      (socket.emit as (event: string, data: unknown) => boolean)(e.event, e.data);
    } catch (err) {
      // Socket.IO's encoder recurses: data nested thousands deep cannot be sent. Counted and logged, never a crash.
      this.counters.unsendable++;
      this.log.warn({ err, event: 'push_unsendable', name: String(e.event).slice(0, 100) }, 'a pushed event could not be encoded: dropped');
      return;
    }
    this.counters.delivered++;
    this.observe(e, 'delivered');
  }

  private observe(e: PushedEvent, outcome: 'delivered' | 'shed' | 'no_client'): void {
    if (this.events.listenerCount('push') > 0) this.events.emit('push', { event: e.event, data: e.data, reqId: e.reqId, at: Date.now(), outcome });
  }

  private scheduleReport(): void {
    if (this.reportTimer) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      const socket = this.client();
      if (!socket || this.shedSinceReport === 0) return;
      const report: ShedReport = { shed: this.shedSinceReport, total: this.shedForClient, limit: this.limit };
      this.shedSinceReport = 0;
      this.log.warn({ event: 'events_shed', ...report }, 'client too slow: pushed events shed');
      socket.emit('events_shed', report);
    }, REPORT_EVERY_MS);
  }

  close(): void {
    clearTimeout(this.reportTimer);
  }
}

/** Packets waiting in engine.io's write buffer: grows when the client reads slower than we send. */
function backlogOf(socket: ClientSocket): number {
  // engine.io types writeBuffer as private; it is the documented-by-use measure of backpressure.
  return (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}
