/**
 * The wire, typed once for both processes.
 *
 * Client <-> server: Socket.IO events (`ClientToServerEvents`, `ServerToClientEvents`).
 * Server <-> worker: ZeroMQ DEALER/ROUTER for commands (`WorkerRequest` / `WorkerReply`)
 * and PUB/SUB for what robot code pushes (`PushedEvent`). Every request carries an `id`;
 * its reply and the events it causes carry the same id (Jupyter's parent_header).
 */
import type { WireError } from './errors.js';

// ---------------------------------------------------------------- client <-> server

/** Every command's acknowledgement. On error, `data` is `{ code, ...details }`. */
export type Ack<T = unknown> =
  | { status: 'success'; message: string; data: T }
  | { status: 'error'; message: string; data: WireError };

export type AckFn<T> = (response: Ack<T>) => void;

/** Kinds of project the worker can run, named by their entry module. */
export type ProjectType = 'javascript' | 'typescript' | 'python';

/** Entry modules, in the order they are looked for, and the kind of project each makes. */
export const ENTRY_MODULES: ReadonlyArray<readonly [string, ProjectType]> = [
  ['main.js', 'javascript'],
  ['main.mjs', 'javascript'],
  ['main.cjs', 'javascript'],
  ['main.ts', 'typescript'],
  ['main.py', 'python'],
];

export interface UpdatePayload {
  /** The ZIP: base64 text or binary. `zip_data` is the seed's alias. */
  data?: string | Uint8Array | ArrayBuffer;
  zip_data?: string | Uint8Array | ArrayBuffer;
}
export interface UpdateResult {
  type: ProjectType;
  entry: string;
  files: number;
  bytes: number;
}
export interface StartResult {
  type: ProjectType;
  entry: string;
  /** Each callable object and its own methods. */
  objects: Record<string, string[]>;
}
export interface ProcessParams {
  object: string;
  method: string;
  /** Array: spread as positional arguments. Object: passed whole. Absent: no arguments. */
  args?: unknown[] | Record<string, unknown>;
}
export interface ProcessPayload {
  params: ProcessParams;
}

/** What the supervisor tells the client about the worker. */
export type WorkerState = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';
export interface WorkerStatus {
  state: WorkerState;
  generation: number;
  pid: number | null;
  /** Why the worker (re)started or failed: "update", "crash: exit code 1", "heartbeat", ... */
  reason: string | null;
  restarts: number;
}

/** Robot pushes shed because the client could not keep up (never silently). */
export interface ShedReport {
  /** Events shed since the previous report. */
  shed: number;
  /** Events shed since the client connected. */
  total: number;
  /** The client write-buffer limit, in packets, past which events are shed. */
  limit: number;
}

/** `record`: switch the session's MCAP recording on or off (docs/FOXGLOVE.md). */
export interface RecordPayload {
  on: boolean;
}
/** The recording after a `record`: on or off, its file and its figures so far. */
export interface RecordResult {
  on: boolean;
  /** The file being written, or after `on: false` the last one written: a name as `GET /recordings` lists it (null: none yet). */
  file: string | null;
  /** Every part of the recording (it rotates past `recording.max_bytes`), oldest first. */
  files: string[];
  messages: number;
  bytes: number;
  /** Events the recorder could not keep (its queue was full): counted, and written into the file. */
  dropped: number;
}

/** Events a client emits. Each takes an ack callback. */
export interface ClientToServerEvents {
  update(payload: UpdatePayload, ack: AckFn<UpdateResult>): void;
  start(payload: Record<string, never>, ack: AckFn<StartResult>): void;
  process(payload: ProcessPayload, ack: AckFn<unknown>): void;
  record(payload: RecordPayload, ack: AckFn<RecordResult>): void;
}

/**
 * Events the server emits. Pushed robot events use the robot's own names and
 * arrive as `(data)`; the names below are the broker's own and are reserved.
 */
export interface ServerToClientEvents {
  worker_status(status: WorkerStatus): void;
  broker_error(error: { message: string; data: WireError }): void;
  events_shed(report: ShedReport): void;
}

/** Names robot code may never push: Socket.IO's own, the seed's `callback`, and the broker's. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'connect', 'connect_error', 'disconnect', 'disconnecting', 'error', 'message',
  'newListener', 'removeListener', 'ping', 'pong', 'reconnect', 'reconnect_attempt',
  'reconnect_error', 'reconnect_failed', 'callback',
  'worker_status', 'broker_error', 'events_shed', 'update', 'start', 'process',
]);

// ---------------------------------------------------------------- server <-> worker

/** Each worker command: its parameters and its result. */
export interface WorkerCalls {
  /** Unpack the ZIP sent in the second frame and swap it in as `current/`. */
  update: { params: Record<string, never>; result: UpdateResult };
  /** Load the current project (seeding it from default/ when empty) and list its objects. */
  start: { params: Record<string, never>; result: StartResult };
  /** Call `object.method(...args)`. */
  process: { params: ProcessParams; result: unknown };
  /** Call every `stop()` hook; the project stays loaded. */
  stop_hooks: { params: Record<string, never>; result: { stopped: string[] } };
  /** Put the previous project back after the new one failed to load. */
  rollback: { params: Record<string, never>; result: { restored: boolean } };
  /** Heartbeat: answered from the worker's event loop. */
  ping: { params: Record<string, never>; result: { heapUsed: number; rss: number } };
  /** Polite request to exit after the stop hooks. */
  shutdown: { params: Record<string, never>; result: null };
}
export type WorkerCommand = keyof WorkerCalls;

export type WorkerRequest<K extends WorkerCommand = WorkerCommand> = K extends WorkerCommand
  ? { id: number; type: K } & WorkerCalls[K]['params']
  : never;

/** Worker -> server over DEALER/ROUTER. */
export type WorkerReply =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; message: string; error: WireError }
  /** Sent once, after the worker's publisher has seen the server's subscription. */
  | { type: 'ready'; generation: number; pid: number };

/** Worker -> server over PUB/SUB: one robot `pushMessage(event, data)`. */
export interface PushedEvent {
  generation: number;
  /** The request whose call caused the push, or 0 when it came from a timer or loop. */
  reqId: number;
  event: string;
  data: unknown;
}

/** The worker's part of the config, handed over by the server (the worker never reads YAML). */
export interface WorkerConfig {
  generation: number;
  storageDir: string;
  commandEndpoint: string;
  callbackEndpoint: string;
  maxUnpackedBytes: number;
  maxZipEntries: number;
  /** How long the stop() hooks may take, in ms. */
  stopTimeoutMs: number;
  pythonPath: string;
  /** Heap limit for robot code, in MiB (Node's --max-old-space-size; Python's RLIMIT_AS). */
  maxMemoryMb: number;
  /** How often the server pings, in ms (executors with a child of their own ping it likewise). */
  heartbeatIntervalMs: number;
  /** How long a ping may go unanswered before the pinged process counts as wedged, in ms. */
  heartbeatTimeoutMs: number;
  /** Repair storage left by a crashed run at boot: only the first worker of a broker run, when no other can be using it. */
  repairStorage: boolean;
  /** The built-in default project, copied to <storageDir>/default when missing. */
  defaultProjectDir: string;
  logLevel: string;
}

/** Exit codes the worker uses, so the supervisor can say why it ended. */
export const WORKER_EXIT = {
  badConfig: 78,
  uncaught: 70,
  serverGone: 71,
} as const;

/** The worker's ZeroMQ routing id: one per generation, so a late reply from a dead worker is never taken for a new one's. */
export function workerRoutingId(generation: number): string {
  return `worker-${generation}`;
}

// ---------------------------------------------------------------- monitor (read-only, namespace /monitor)

/** A command as a monitor sees it (an update's ZIP is summarised by its size). */
export interface MonitorCommand {
  reqId: number;
  command: 'update' | 'start' | 'process';
  at: number;
  object?: string;
  method?: string;
  args?: unknown;
  bytes?: number;
}
/** A command's answer as a monitor sees it. */
export interface MonitorAck {
  reqId: number;
  command: 'update' | 'start' | 'process';
  at: number;
  ms: number;
  status: 'success' | 'error';
  message: string;
  data: unknown;
  object?: string;
  method?: string;
}
/** A robot push and what became of it. */
export interface MonitorPush {
  event: string;
  data: unknown;
  reqId: number;
  at: number;
  outcome: 'delivered' | 'shed' | 'no_client';
}
export interface MonitorClient {
  state: 'connected' | 'disconnected' | 'refused';
  at: number;
  address: string;
  reason?: string;
}

/** Events the server emits on `/monitor`. Monitors emit nothing: the namespace is read-only. */
export interface MonitorEvents {
  command(c: MonitorCommand): void;
  ack(a: MonitorAck): void;
  push(p: MonitorPush): void;
  client(c: MonitorClient): void;
  worker_status(status: WorkerStatus): void;
}
