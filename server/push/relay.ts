/**
 * Robot pushes, from the worker's PUB to every client: the controller and the observers
 * alike (docs/REPLAY.md).
 *
 * Each event gets the next seq and is kept in the replay ring (ring.ts). A client that
 * keeps up is *live*: the event is encoded once and written to all of them (a namespace
 * broadcast; clients that asked for meta get `(data, meta)`, the others `(data)`). A
 * `"latest"` event for a client with LATEST_HOLD packets queued is parked instead, the
 * newest per name, and sent when its buffer drains. A client whose write buffer passes
 * `limit` packets falls *behind*: it leaves the
 * broadcast and is fed from the ring, in order, as its buffer drains, skipping `"latest"`
 * events a newer one of the same name replaced, until it has caught up. A reconnecting
 * client with `auth.lastSeq` starts behind, at lastSeq + 1. What leaves the ring before a
 * client took it is lost for it, and told: `replay_gap` (exactly which seqs) and
 * `events_shed` (how many). Memory is so bounded by the ring and `limit` packets a client.
 * The controller paces the intake (pace.ts): while half of `limit` packets wait for it,
 * or it is behind, no more pushes are read from the worker (within a time budget), so it
 * loses none to the ring; observers never pace.
 * Per-client throttles (`subscribe`): throttles.ts.
 */
import type { Namespace } from 'socket.io';
import type { Rejection } from '../../ipc/frame-check.js';
import { RESERVED_EVENTS, type ClientToServerEvents, type ServerToClientEvents } from '../../ipc/protocol.js';
import type { PushedEvent } from '../../ipc/worker-protocol.js';
import type { BrokerEvents } from '../broker-events.js';
import type { Logger } from '../logger.js';
import type { ClientSocket } from '../commands.js';
import { Feed } from './feed.js';
import { Pacer } from './pace.js';
import { EventRing, type RetainedEvent, type RingLimits } from './ring.js';
import { ShedReports } from './shed-reports.js';
import { Throttles } from './throttles.js';

/** Distinct pushed event names counted one by one; the rest are counted as "(other)". */
const MAX_EVENT_NAMES = 1000;

/**
 * Packets queued for a client past which a `"latest"` event is not written to it but
 * parked, the newest per name, until its buffer drains: a rare `"all"` event so never
 * waits behind more than this many packets of telemetry.
 */
const LATEST_HOLD = 64;
/** Event names parked per client at most (a robot pushing ever new "latest" names cannot grow it): past it, they are written. */
const MAX_PARKED = 1000;

/** The room of the clients that asked for meta: one broadcast for them, one for the rest. */
const META_ROOM = 'push-meta';

/** Counted per client an event was meant for: with one client, per event. */
export interface PushCounters {
  delivered: number;
  /** Lost for a client: evicted from the ring before it took them, or "latest" ones replaced while it was behind. */
  shed: number;
  /** Pushed while no client was connected (kept in the ring for the next one). */
  noClient: number;
  /** From a worker generation that is no longer current (a worker being replaced). */
  stale: number;
  /** Could not be encoded for the client (nested past what Socket.IO's encoder can recurse). */
  unsendable: number;
  byEvent: Map<string, number>;
}

export type ClientNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

type Emitter = { emit(event: string, ...args: unknown[]): boolean };

export class PushRelay {
  readonly counters: PushCounters = { delivered: 0, shed: 0, noClient: 0, stale: 0, unsendable: 0, byEvent: new Map() };
  readonly ring: EventRing;
  private readonly throttles = new Throttles((feed, e) => this.sendTo(feed, e));
  private readonly feeds = new Map<string, Feed>();
  private readonly pacer: Pacer;
  private readonly reports: ShedReports;

  constructor(
    /** The main namespace: every connected client (null before the server exists). */
    private readonly clients: () => ClientNamespace | null,
    private readonly generation: () => number,
    /** Packets a client's write buffer may hold before it falls behind (`websocket.max_client_backlog`). */
    private readonly limit: number,
    /** How long the controller may hold the intake (`websocket.controller_hold`): pace.ts. */
    controllerHoldMs: number,
    ringLimits: RingLimits,
    private readonly log: Logger,
    private readonly events: BrokerEvents,
    /** A push refused here (a reserved name: the worker checks too, but a push may come from anyone). */
    private readonly onReject: (r: Rejection) => void = () => {},
  ) {
    this.ring = new EventRing(ringLimits, (e) => this.evicted(e));
    this.reports = new ShedReports(this.feeds, limit, log);
    this.pacer = new Pacer(Math.max(1, Math.floor(limit / 2)), controllerHoldMs, () =>
      this.log.warn({ event: 'pace_expired', holdMs: controllerHoldMs }, 'the controller held the pushes back too long: no longer held for it until it catches up'),
    );
  }

  /** Asked before the next message of pushes is read from the worker: a promise while the controller is backed up. */
  holdIntake(): Promise<void> | undefined {
    for (const feed of this.feeds.values()) if (feed.paces()) return this.pacer.wait(feed);
    return undefined;
  }

  /**
   * A client connected: its feed, its replay (`auth.lastSeq`), its `subscribe`/`unsubscribe`.
   * `paces`: whether it holds the control now (the controller paces the intake; a lease moves).
   */
  attach(socket: ClientSocket, paces: () => boolean): void {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const lastSeq = Number.isSafeInteger(auth.lastSeq) && (auth.lastSeq as number) >= 0 ? (auth.lastSeq as number) : undefined;
    const feed = new Feed(socket, auth.meta === true || lastSeq !== undefined, paces);
    this.feeds.set(socket.id, feed);
    socket.conn.on('drain', () => {
      if (feed.paces()) this.pacer.release();
      this.unpark(feed);
      this.pump(feed);
    });
    this.throttles.attach(feed);
    if (!feed.meta) return;
    void socket.join(META_ROOM);
    const ring = this.ring;
    ring.expire(Date.now());
    let from = ring.lastSeq + 1;
    if (lastSeq !== undefined) {
      const restarted = (typeof auth.epoch === 'string' && auth.epoch !== ring.epoch) || lastSeq > ring.lastSeq;
      const after = restarted ? 0 : lastSeq;
      if (restarted) feed.gap = { from: 1, to: ring.firstSeq - 1, reason: 'restart' };
      else if (after + 1 < ring.firstSeq) feed.gap = { from: after + 1, to: ring.firstSeq - 1, reason: 'evicted' };
      from = Math.max(after + 1, ring.firstSeq);
    }
    socket.emit('replay_info', { epoch: ring.epoch, seq: ring.lastSeq, replay: ring.lastSeq - from + 1 });
    if (from <= ring.lastSeq) {
      feed.behind = true;
      feed.cursor = from;
      this.pump(feed);
    } else feed.tellGap();
  }

  /** A client left: its feed, throttles and shed count go with it. */
  forget(socketId: string): void {
    const feed = this.feeds.get(socketId);
    if (!feed) return;
    feed.close();
    this.feeds.delete(socketId);
    this.pacer.release();
  }

  onEvent(e: PushedEvent, bytes: number): void {
    if (RESERVED_EVENTS.has(e.event)) {
      this.onReject({ channel: 'events', reason: 'reserved_event', detail: `"${e.event}" is the broker's` });
      return;
    }
    if (e.generation !== this.generation()) {
      this.counters.stale++;
      return;
    }
    const entry = this.ring.append(e, bytes, Date.now());
    const byEvent = this.counters.byEvent;
    const name = byEvent.has(e.event) || byEvent.size < MAX_EVENT_NAMES ? e.event : '(other)';
    byEvent.set(name, (byEvent.get(name) ?? 0) + 1);
    if (this.feeds.size === 0) {
      this.counters.noClient++;
      this.observe(e, entry, 'no_client');
      return;
    }
    let left: string[] | null = null;
    let live = 0;
    let liveMeta = 0;
    const hold = Math.min(LATEST_HOLD, this.limit);
    for (const feed of this.feeds.values()) {
      const throttle = entry.latest ? feed.throttles.get(entry.event) : undefined;
      const backlog = feed.behind ? 0 : feed.backlog();
      if (feed.behind) {
        (left ??= []).push(feed.id);
      } else if (backlog >= this.limit) {
        feed.behind = true;
        feed.cursor = entry.meta.seq;
        (left ??= []).push(feed.id);
      } else if (throttle) {
        (left ??= []).push(feed.id);
        this.throttles.offer(feed, throttle, entry);
      } else if (entry.latest && backlog >= hold && (feed.parked.size < MAX_PARKED || feed.parked.has(entry.event))) {
        (left ??= []).push(feed.id);
        this.park(feed, entry);
      } else {
        // A parked one of this name is older than what it gets now: dropped.
        if (entry.latest && feed.parked.size > 0 && feed.parked.delete(entry.event)) this.shed(feed);
        live++;
        if (feed.meta) liveMeta++;
      }
    }
    if (live > 0) this.broadcast(entry, left, live, liveMeta);
    this.observe(e, entry, 'delivered');
  }

  /** Once to every live client: one encode for those with meta, one for those without. */
  private broadcast(e: RetainedEvent, left: string[] | null, live: number, liveMeta: number): void {
    const nsp = this.clients();
    if (!nsp) return;
    const to = left ? nsp.except(left) : nsp;
    try {
      if (liveMeta < live) ((liveMeta > 0 ? to.except(META_ROOM) : to) as unknown as Emitter).emit(e.event, e.data);
      if (liveMeta > 0) ((liveMeta < live ? to.to(META_ROOM) : to) as unknown as Emitter).emit(e.event, e.data, e.meta);
      this.counters.delivered += live;
    } catch (err) {
      this.unsendable(err, e);
    }
  }

  /** Feed a client that is behind from the ring while its write buffer has room; live again once caught up. */
  private pump(feed: Feed): void {
    if (!feed.behind || feed.closed) return;
    const ring = this.ring;
    ring.expire(Date.now());
    feed.cursor = Math.max(feed.cursor, ring.firstSeq);
    feed.tellGap();
    while (feed.cursor <= ring.lastSeq && feed.backlog() < this.limit) {
      const e = ring.get(feed.cursor++)!;
      if (ring.superseded(e)) {
        this.shed(feed);
        continue;
      }
      const throttle = e.latest ? feed.throttles.get(e.event) : undefined;
      if (throttle) this.throttles.offer(feed, throttle, e);
      else this.sendTo(feed, e);
    }
    if (feed.cursor > ring.lastSeq) feed.behind = false;
    if (feed.shedSinceReport > 0) this.reports.schedule();
  }

  /** Hold a "latest" event for a backed-up client: the newest per name waits for the drain. */
  private park(feed: Feed, e: RetainedEvent): void {
    if (feed.parked.has(e.event)) {
      this.shed(feed);
      this.reports.schedule();
    }
    feed.parked.set(e.event, e);
  }

  /** Its buffer drained: what was parked goes now, unless a newer one of its name is coming from the ring. */
  private unpark(feed: Feed): void {
    if (feed.parked.size === 0 || feed.closed) return;
    for (const e of feed.parked.values()) {
      if (feed.behind && this.ring.superseded(e)) this.shed(feed);
      else this.sendTo(feed, e);
    }
    feed.parked.clear();
  }

  private sendTo(feed: Feed, e: RetainedEvent): void {
    try {
      feed.send(e);
      this.counters.delivered++;
    } catch (err) {
      this.unsendable(err, e);
    }
  }

  /** An event left the ring: lost for every client still behind it (a replaced "latest" one is not a loss). */
  private evicted(e: RetainedEvent): void {
    if (this.feeds.size === 0) return;
    const replaced = this.ring.superseded(e);
    for (const feed of this.feeds.values()) {
      if (!feed.behind || feed.cursor > e.meta.seq) continue;
      if (replaced) this.shed(feed);
      else {
        feed.lost(e.meta.seq);
        this.counters.shed++;
      }
      feed.cursor = e.meta.seq + 1;
    }
    this.reports.schedule();
  }

  private shed(feed: Feed): void {
    feed.shedSinceReport++;
    feed.shedTotal++;
    this.counters.shed++;
  }

  private unsendable(err: unknown, e: RetainedEvent): void {
    // Socket.IO's encoder recurses: data nested thousands deep cannot be sent. Counted and logged, never a crash.
    this.counters.unsendable++;
    this.log.warn({ err, event: 'push_unsendable', name: e.event.slice(0, 100), seq: e.meta.seq }, 'a pushed event could not be encoded: dropped');
  }

  private observe(e: PushedEvent, entry: RetainedEvent, outcome: 'delivered' | 'no_client'): void {
    if (this.events.listenerCount('push') > 0) this.events.emit('push', { event: e.event, data: e.data, reqId: e.reqId, at: entry.meta.ts, seq: entry.meta.seq, outcome });
  }

  close(): void {
    this.reports.close();
    this.pacer.release();
    for (const feed of this.feeds.values()) feed.close();
  }
}
