/**
 * The body of `GET /stats`, as a client reads it: types only. StatsCollector
 * (stats.ts) fills it in; the tests read it through these types, so a renamed field
 * breaks their build.
 */
import type { ProjectType } from '../../ipc/protocol.js';
import type { ControlReason } from '../control/lease.js';
import type { FoxgloveStats } from '../foxglove/bridge.js';
import type { SpareCounts } from '../lifecycle/standby.js';
import type { LogState } from '../logger.js';
import type { RingState } from '../push/ring.js';
import type { RecordingStatus } from '../recording/recorder.js';
import type { LatencySummary } from './latency.js';
import type { TrafficTotals } from './traffic.js';

/** The current project, as learned from `update` and `start` acks (null until one is seen). */
export interface ProjectInfo {
  type: ProjectType;
  entry: string;
  files: number | null;
  bytes: number | null;
  uploadedAt: string | null;
  loadedAt: string | null;
  objects: string[] | null;
}

/** Socket.IO connections since start: admitted, gone, and refused (a bad token, or another client holding the broker). */
export interface ConnectionCounts {
  accepted: number;
  disconnected: number;
  refused: { unauthorized: number; busy: number };
}

export interface ClientStats {
  connected: boolean;
  since: string | null;
  address: string | null;
  /** The Socket.IO heartbeat: last ping -> pong round trip, last pong, last packet of any kind. */
  heartbeat: { rttMs: number | null; lastPongAt: string | null; lastSeenAt: string | null } | null;
}

/** The control lease in /stats: who holds it, how many observe, and how often it changed hands or STOP was pressed. */
export interface ControlStats {
  controller: string | null;
  since: string | null;
  observers: number;
  changes: Partial<Record<ControlReason, number>>;
  /** Forced takeovers (`take_control` with `force`). */
  takeovers: number;
  /** `emergency_stop` presses, and those that failed (no worker ready, hooks failed). */
  emergencyStops: number;
  emergencyStopsFailed: number;
}

/** Figures other parts of the broker add (addSection); each is absent when its part is. */
export interface StatsSections {
  recording: RecordingStatus;
  foxglove: FoxgloveStats;
}

export interface StatsSnapshot extends Partial<StatsSections> {
  uptime: { seconds: number; startedAt: string };
  client: ClientStats;
  connections: ConnectionCounts;
  control: ControlStats;
  traffic: Record<'client' | 'monitor', TrafficTotals>;
  errors: { total: number; byCode: Record<string, number> };
  worker: {
    state: string;
    generation: number;
    pid: number | null;
    restarts: number;
    reason: string | null;
    lastExit: { code: number | null; signal: string | null; reason: string } | null;
    /** The last time a worker died (not retired): why, how it exited, and that robot state was reset. */
    lastCrash: { at: string; reason: string; exit: { code: number | null; signal: string | null }; stateLost: true } | null;
    upSince: string | null;
    heartbeat: { rttMs: number | null; lastPongAt: string | null };
    memory: { heapUsed: number; rss: number } | null;
    /** Standby workers: how many are kept (worker.standby), ready and booting now. */
    spares: SpareCounts;
  };
  project: ProjectInfo | null;
  commands: Record<string, LatencySummary>;
  methods: Record<string, LatencySummary>;
  methodsTracked: { count: number; limit: number };
  pushes: { delivered: number; shed: number; noClient: number; stale: number; unsendable: number; byEvent: Record<string, number>; replay: RingState };
  monitors: { connected: number; dropped: number };
  security: {
    authFailures: Record<string, number>;
    /** Frames from the worker side dropped (bad shape, reserved event, wrong worker, refused ready, ...). */
    ipcRejected: { total: number; byReason: Record<string, number> };
  };
  logs: LogState;
}
