/**
 * Robot pushes, from the worker's PUB to every client: the controller and the
 * observers alike. Each event is encoded once and written to every client that keeps
 * up (a namespace broadcast). Never dropped silently: a client too slow to keep up (its
 * write buffer past `limit` packets) has new events shed, only for it; its sheds are
 * counted and reported to it as `events_shed`. Memory per client is so bounded by
 * `limit` packets.
 */
import type { Rejection } from '../ipc/frame-check.js';
import { RESERVED_EVENTS, type ShedReport } from '../ipc/protocol.js';
import { type PushedEvent } from '../ipc/worker-protocol.js';
import type { Namespace } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../ipc/protocol.js';
import type { ClientSocket } from './commands.js';
import type { BrokerEvents } from './broker-events.js';
import type { Logger } from './logger.js';

/** Distinct pushed event names counted one by one; the rest are counted as "(other)". */
const MAX_EVENT_NAMES = 1000;

/** How often, at most, a shedding client is told about it (ms). */
const REPORT_EVERY_MS = 250;

/** Counted per client an event was meant for: with one client, per event. */
export interface PushCounters {
  delivered: number;
  /** Shed because a client could not keep up. */
  shed: number;
  /** Pushed while no client was connected. */
  noClient: number;
  /** From a worker generation that is no longer current (a worker being replaced). */
  stale: number;
  /** Could not be encoded for the client (nested past what Socket.IO's encoder can recurse). */
  unsendable: number;
  byEvent: Map<string, number>;
}

export type ClientNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

/** A shedding client's figures: since its last report, and since it connected. */
interface Sheds {
  sinceReport: number;
  total: number;
}

export class PushRelay {
  readonly counters: PushCounters = { delivered: 0, shed: 0, noClient: 0, stale: 0, unsendable: 0, byEvent: new Map() };
  /** Only clients that shed something have an entry; dropped when they leave. */
  private readonly sheds = new Map<string, Sheds>();
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(
    /** The main namespace: every connected client (null before the server exists). */
    private readonly clients: () => ClientNamespace | null,
    private readonly generation: () => number,
    private readonly limit: number,
    private readonly log: Logger,
    private readonly events: BrokerEvents,
    /** A push refused here (a reserved name: the worker checks too, but a push may come from anyone). */
    private readonly onReject: (r: Rejection) => void = () => {},
  ) {}

  /** A client left: its shed count goes with it (a new one starts clean). */
  forget(socketId: string): void {
    this.sheds.delete(socketId);
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
    const nsp = this.clients();
    if (!nsp || nsp.sockets.size === 0) {
      this.counters.noClient++;
      this.observe(e, 'no_client');
      return;
    }
    let shedFor: string[] | null = null;
    let keeping = 0;
    for (const socket of nsp.sockets.values()) {
      if (backlogOf(socket) < this.limit) keeping++;
      else (shedFor ??= []).push(socket.id);
    }
    if (keeping > 0) {
      try {
        // One encode for every client that keeps up; the shedding ones are left out.
        ((shedFor ? nsp.except(shedFor) : nsp).emit as (event: string, data: unknown) => boolean)(e.event, e.data);
      } catch (err) {
        // Socket.IO's encoder recurses: data nested thousands deep cannot be sent. Counted and logged, never a crash.
        this.counters.unsendable++;
        this.log.warn({ err, event: 'push_unsendable', name: String(e.event).slice(0, 100) }, 'a pushed event could not be encoded: dropped');
        return;
      }
      this.counters.delivered += keeping;
    }
    if (shedFor) this.shed(shedFor);
    this.observe(e, keeping > 0 ? 'delivered' : 'shed');
  }

  private shed(socketIds: string[]): void {
    for (const id of socketIds) {
      const s = this.sheds.get(id) ?? { sinceReport: 0, total: 0 };
      s.sinceReport++;
      s.total++;
      this.sheds.set(id, s);
    }
    this.counters.shed += socketIds.length;
    this.scheduleReport();
  }

  private observe(e: PushedEvent, outcome: 'delivered' | 'shed' | 'no_client'): void {
    if (this.events.listenerCount('push') > 0) this.events.emit('push', { event: e.event, data: e.data, reqId: e.reqId, at: Date.now(), outcome });
  }

  private scheduleReport(): void {
    if (this.reportTimer) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      const nsp = this.clients();
      for (const [id, s] of this.sheds) {
        const socket = nsp?.sockets.get(id);
        if (!socket) {
          this.sheds.delete(id);
          continue;
        }
        if (s.sinceReport === 0) continue;
        const report: ShedReport = { shed: s.sinceReport, total: s.total, limit: this.limit };
        s.sinceReport = 0;
        this.log.warn({ event: 'events_shed', socket: id, ...report }, 'client too slow: pushed events shed');
        socket.emit('events_shed', report);
      }
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
