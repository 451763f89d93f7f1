/**
 * The broker's figures, gathered from BrokerEvents (acks, client changes) plus
 * what the supervisor, the gate, the push relay and the traffic meter already
 * count; `snapshot()` is the body of `GET /stats`. Memory is bounded: latencies
 * live in fixed rings, and the method and error-code tables are capped. The body's
 * shape, what a client of /stats reads, is stats-snapshot.ts.
 */
import { REJECT_REASONS, type RejectReason } from '../../ipc/frame-check.js';
import type { StartResult, UpdateResult } from '../../ipc/protocol.js';
import type { BrokerEvents, BrokerEventMap } from '../broker-events.js';
import type { ClientGate } from '../client-gate.js';
import type { ControlReason } from '../control/lease.js';
import type { LogState } from '../logger.js';
import type { PushRelay } from '../push/relay.js';
import type { Supervisor } from '../supervisor.js';
import { LatencyTable, OTHER } from './latency.js';
import type { ClientStats, ConnectionCounts, ControlStats, ProjectInfo, StatsSections, StatsSnapshot } from './stats-snapshot.js';
import type { TrafficMeter, TrafficTotals } from './traffic.js';

/** Distinct `object.method` names tracked; further ones share the `(other)` row. */
export const MAX_METHODS = 200;
/** Distinct pushed event names listed in /stats (the busiest first). */
export const MAX_EVENT_NAMES = 100;
/** Codes that say the call never reached a robot method: kept out of the method table, so junk names cannot fill it. */
export const NOT_A_CALL: ReadonlySet<string> = new Set(['E_INVALID_PAYLOAD', 'E_UNKNOWN_OBJECT', 'E_UNKNOWN_METHOD', 'E_NO_ACK']);

/** Someone observing each call as it is counted (the Prometheus histograms). */
export type CallObserver = (call: { command: string; method: string | null; seconds: number; ok: boolean; code: string | null }) => void;

export interface StatsSources {
  events: BrokerEvents;
  supervisor: Supervisor;
  gate: ClientGate;
  relay: PushRelay;
  traffic: TrafficMeter;
  /** The engine.io connection of a Socket.IO socket id in the main namespace. */
  connOf: (socketId: string) => object | undefined;
  monitors: () => { connected: number; dropped: number };
  /** Whether the log files are being written, and the lines dropped when not. */
  logs: () => LogState;
  startedAt: number;
}

const iso = (ms: number | null | undefined): string | null => (ms ? new Date(ms).toISOString() : null);

export class StatsCollector {
  readonly commands = new LatencyTable(8);
  readonly methods = new LatencyTable(MAX_METHODS);
  readonly errors = new Map<string, number>();
  readonly connections: ConnectionCounts = { accepted: 0, disconnected: 0, refused: { unauthorized: 0, busy: 0 } };
  /** The control lease's changes of hand by why (taken, forced, released, ...) and STOP presses. */
  readonly control = { changes: {} as Partial<Record<ControlReason, number>>, takeovers: 0, emergencyStops: 0, emergencyStopsFailed: 0 };
  /** Refused tokens per surface: socket.io, monitor, stats, metrics. */
  readonly authFailures = new Map<string, number>();
  /** Frames from the worker side dropped, by reason (ipc/frames.ts). */
  readonly ipcRejected = new Map<RejectReason, number>(REJECT_REASONS.map((r) => [r, 0]));
  project: ProjectInfo | null = null;
  private readonly observers: CallObserver[] = [];
  private readonly sections: { [K in keyof StatsSections]?: () => StatsSections[K] } = {};

  constructor(private readonly src: StatsSources) {
    src.events.on('ack', this.onAck);
    src.events.on('client', this.onClient);
    src.events.on('ipc_rejected', this.onRejected);
    src.events.on('control', this.onControl);
    src.events.on('emergency_stop', this.onEmergencyStop);
  }

  observe(observer: CallObserver): void {
    this.observers.push(observer);
  }

  /** A part of the broker with figures of its own (recording, foxglove): read at each snapshot. */
  addSection<K extends keyof StatsSections>(name: K, read: () => StatsSections[K]): void {
    this.sections[name] = read as never;
  }

  countError(code: string): void {
    // Codes come from the broker's own set; the cap is a guard, not a policy.
    if (this.errors.has(code) || this.errors.size < 64) this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  authFailed(surface: string): void {
    this.authFailures.set(surface, (this.authFailures.get(surface) ?? 0) + 1);
  }

  private readonly onAck = (a: BrokerEventMap['ack'][0]): void => {
    const ok = a.status === 'success';
    const code = a.code ?? null;
    this.commands.record(a.command, a.ms, ok, a.at);
    if (code) this.countError(code);
    let method: string | null = null;
    if (a.command === 'process' && a.object !== undefined && !(code && NOT_A_CALL.has(code))) {
      method = this.methods.record(`${a.object}.${a.method}`, a.ms, ok, a.at);
    }
    if (ok) this.learnProject(a.command, a.data, a.at);
    for (const o of this.observers) o({ command: a.command, method, seconds: a.ms / 1000, ok, code });
  };

  private learnProject(command: string, data: unknown, at: number): void {
    if (command === 'update') {
      const r = data as UpdateResult;
      this.project = { type: r.type, entry: r.entry, files: r.files, bytes: r.bytes, uploadedAt: iso(at), loadedAt: iso(at), objects: null };
    } else if (command === 'start') {
      const r = data as StartResult;
      const same = this.project && this.project.entry === r.entry && this.project.type === r.type;
      this.project = {
        type: r.type,
        entry: r.entry,
        files: same ? this.project!.files : null,
        bytes: same ? this.project!.bytes : null,
        uploadedAt: same ? this.project!.uploadedAt : null,
        loadedAt: iso(at),
        objects: Object.keys(r.objects ?? {}),
      };
    }
  }

  private readonly onControl = (c: BrokerEventMap['control'][0]): void => {
    this.control.changes[c.reason] = (this.control.changes[c.reason] ?? 0) + 1;
    if (c.reason === 'forced') this.control.takeovers++;
  };

  private readonly onEmergencyStop = (e: BrokerEventMap['emergency_stop'][0]): void => {
    this.control.emergencyStops++;
    if (e.status === 'error') this.control.emergencyStopsFailed++;
  };

  private readonly onRejected = (r: BrokerEventMap['ipc_rejected'][0]): void => {
    this.ipcRejected.set(r.reason, (this.ipcRejected.get(r.reason) ?? 0) + 1);
  };

  private readonly onClient = (c: BrokerEventMap['client'][0]): void => {
    if (c.state === 'connected') this.connections.accepted++;
    else if (c.state === 'disconnected') this.connections.disconnected++;
    else if (c.reason === 'unauthorized') {
      this.connections.refused.unauthorized++;
      this.countError('E_UNAUTHORIZED');
      this.authFailed('socket.io');
    } else if (c.reason === 'invalid role') {
      this.countError('E_INVALID_PAYLOAD');
    } else {
      this.connections.refused.busy++;
      this.countError('E_BUSY');
    }
  };

  /** The controlling client, if any, with its Socket.IO heartbeat. */
  client(): ClientStats {
    const holder = this.src.gate.current();
    if (!holder) return { connected: false, since: null, address: null, heartbeat: null };
    const hb = this.src.traffic.heartbeatOf(this.src.connOf(holder.socketId));
    return {
      connected: true,
      since: iso(holder.since),
      address: holder.address,
      heartbeat: hb && { rttMs: hb.rttMs, lastPongAt: iso(hb.lastPongAt), lastSeenAt: iso(hb.lastSeenAt) },
    };
  }

  /** The lease now (holder, observers) and its counters. */
  controlSnapshot(): ControlStats {
    const lease = this.src.gate.lease;
    const h = lease.current();
    return { controller: h ? (h.clientId ?? 'anonymous') : null, since: iso(h?.since), observers: lease.observerCount, ...this.control };
  }

  traffic(): Record<'client' | 'monitor', TrafficTotals> {
    return this.src.traffic.totals;
  }

  monitors(): { connected: number; dropped: number } {
    return this.src.monitors();
  }

  pushCounters(): PushRelay['counters'] {
    return this.src.relay.counters;
  }

  /** Pushed events per name, the busiest MAX_EVENT_NAMES, the rest summed as `(other)`. */
  pushedByEvent(): Record<string, number> {
    const sorted = [...this.src.relay.counters.byEvent].sort((a, b) => b[1] - a[1]);
    const out: Record<string, number> = {};
    for (const [name, n] of sorted.slice(0, MAX_EVENT_NAMES)) out[name] = n;
    const rest = sorted.slice(MAX_EVENT_NAMES).reduce((sum, [, n]) => sum + n, 0);
    if (rest > 0) out[OTHER] = (out[OTHER] ?? 0) + rest;
    return out;
  }

  snapshot(now = Date.now()): StatsSnapshot {
    const w = this.src.supervisor.health();
    const p = this.src.relay.counters;
    const errorsTotal = [...this.errors.values()].reduce((a, b) => a + b, 0);
    return {
      uptime: { seconds: Math.round((now - this.src.startedAt) / 100) / 10, startedAt: iso(this.src.startedAt)! },
      client: this.client(),
      connections: this.connections,
      control: this.controlSnapshot(),
      traffic: this.traffic(),
      errors: { total: errorsTotal, byCode: Object.fromEntries(this.errors) },
      worker: {
        state: w.state,
        generation: w.generation,
        pid: w.pid,
        restarts: w.restarts,
        reason: w.reason,
        lastExit: w.lastExit,
        lastCrash: w.lastCrash && { ...w.lastCrash, at: iso(w.lastCrash.at)! },
        upSince: iso(w.upSinceMs),
        heartbeat: { rttMs: w.heartbeat.rttMs === null ? null : Math.round(w.heartbeat.rttMs * 1000) / 1000, lastPongAt: iso(w.heartbeat.lastPongAt) },
        memory: w.memory,
        spares: w.spares,
      },
      project: this.project,
      commands: this.commands.summary(),
      methods: this.methods.summary(),
      methodsTracked: { count: this.methods.size, limit: MAX_METHODS },
      pushes: { delivered: p.delivered, shed: p.shed, noClient: p.noClient, stale: p.stale, unsendable: p.unsendable, byEvent: this.pushedByEvent(), replay: this.src.relay.ring.state() },
      monitors: this.monitors(),
      security: {
        authFailures: Object.fromEntries(this.authFailures),
        ipcRejected: { total: [...this.ipcRejected.values()].reduce((a, b) => a + b, 0), byReason: Object.fromEntries(this.ipcRejected) },
      },
      logs: this.src.logs(),
      ...Object.fromEntries(Object.entries(this.sections).map(([name, read]) => [name, read()])),
    };
  }

  close(): void {
    this.src.events.off('ack', this.onAck);
    this.src.events.off('client', this.onClient);
    this.src.events.off('ipc_rejected', this.onRejected);
    this.src.events.off('control', this.onControl);
    this.src.events.off('emergency_stop', this.onEmergencyStop);
  }
}
