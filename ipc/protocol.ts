/**
 * The wire, typed once for every end of it.
 *
 * Client <-> server: Socket.IO events (`ClientToServerEvents`, `ServerToClientEvents`),
 * and the read-only /monitor namespace. Server <-> worker: worker-protocol.ts. Every
 * request carries an `id`; its reply and the events it causes carry the same id
 * (Jupyter's parent_header).
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
/**
 * A piece of a project ZIP (`update_chunk`): the pieces are sent in order, each starting
 * where the last ended; the first (offset 0) declares the whole ZIP's size. The last
 * piece's ack is the update's (`UpdateResult`); the others answer `UpdateChunkProgress`.
 */
export interface UpdateChunkPayload {
  offset: number;
  total: number;
  data: Uint8Array | ArrayBuffer | string;
}
/** What an `update_chunk` that is not the last answers. */
export interface UpdateChunkProgress {
  received: number;
  total: number;
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
  /** Each object's methods with their parameters and docs, drawn from the project's source (same keys as `objects`). */
  methods: Record<string, Record<string, MethodInfo>>;
}

/** One parameter of a robot method, as the project's source declares it. */
export interface MethodParam {
  name: string;
  /** As declared (a TypeScript type, a JSDoc `{type}`, a Python annotation), else the type of a literal default. */
  type?: string;
  /** It may be left out (it has a default, a `?`, a JSDoc `[name]`). */
  optional?: boolean;
  /** The default as written in the source: `0`, `'walk'`, `None`. */
  default?: string;
  doc?: string;
}

/** What a client needs to call a method without reading its source. */
export interface MethodInfo {
  /** The parameters, in order; with `args: 'object'`, the keys of the one object argument. */
  params: MethodParam[];
  /**
   * How `process` args carry the params: `array`, positional; `object`, one object keyed
   * by name (a destructured JavaScript/TypeScript parameter, Python keyword arguments).
   */
  args: 'array' | 'object';
  /** The method's doc comment (JSDoc/TSDoc description, Python docstring). */
  doc?: string;
  /** A lifecycle hook the broker itself calls (`stop()` when the client leaves): callable, but not a command. */
  hook?: true;
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
  /** Why the worker (re)started or failed: "update", "crash: exit code 1", "crash: wedged: heartbeat lost: ...", ... */
  reason: string | null;
  restarts: number;
  /** Present (true) on the status a worker's death caused: the robot project's in-memory state was reset. */
  stateLost?: true;
  /** How the worker that died exited (with `stateLost`). */
  exit?: { code: number | null; signal: string | null };
}

/**
 * Robot pushes this client will not get (never silently): `"all"` events that left the
 * replay ring before it could take them, and `"latest"` ones a newer event of the same
 * name replaced while it could not keep up.
 */
export interface ShedReport {
  /** Events shed since the previous report. */
  shed: number;
  /** Events shed since the client connected. */
  total: number;
  /** The client write-buffer limit, in packets, past which it is fed from the replay ring. */
  limit: number;
}

// ---------------------------------------------------------------- sequence numbers, replay, QoS

/**
 * The second argument of every pushed event, `socket.on(name, (data, meta) => ...)`, for a
 * client that asks for it (`auth.meta: true` or `auth.lastSeq`): seed clients get `(data)`
 * alone, as python-socketio would hand a second argument to a one-argument handler.
 */
export interface PushMeta {
  /** One more per pushed event over the broker's run (a worker restart does not reset it). */
  seq: number;
  /** When the broker received the event, ms since the epoch. */
  ts: number;
  /** The request whose call caused the push; absent for pushes from timers and loops. */
  reqId?: number;
}
/** How robot code asked an event to be treated when a client cannot keep up. */
export type PushQos = 'all' | 'latest';
/** Sent first, on connect, to a client that asked for meta: the stream it is on. */
export interface ReplayInfo {
  /** This broker run: a reconnect with another epoch's lastSeq gets a `restart` gap. */
  epoch: string;
  /** The last seq the broker assigned. */
  seq: number;
  /** Retained events about to be replayed to this client (seq > its lastSeq). */
  replay: number;
}
/**
 * Events this client will never get, sent before the next one it does get: `evicted`, they
 * left the replay ring (`replay.*`) before it took them; `restart`, the broker restarted
 * since its lastSeq (seq begins again at 1; `to` may be `from - 1`: nothing of this run
 * was lost, but what the previous run pushed after lastSeq was).
 */
export interface ReplayGap {
  from: number;
  to: number;
  reason: 'evicted' | 'restart';
}
/** `subscribe`: receive at most `max_rate_hz` of the `"latest"` event `event` (this client only). */
export interface SubscribePayload {
  event: string;
  max_rate_hz: number;
}
export interface UnsubscribePayload {
  event: string;
}
/** This client's throttles after a `subscribe` or `unsubscribe`, by event name. */
export interface SubscriptionsResult {
  subscriptions: Record<string, { max_rate_hz: number }>;
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

/**
 * A connection's part in the control lease (docs/CONTROL.md). One `controller` at a time
 * may send `update`/`start`/`process`; any number of `observer`s (up to
 * `websocket.max_observers`) receive everything it does and may press `emergency_stop`.
 */
export type ClientRole = 'controller' | 'observer';
export const CLIENT_ROLES: readonly ClientRole[] = ['controller', 'observer'];

/** The Socket.IO handshake's `auth`. Without `role` a client is a controller (the seed's clients). */
export interface HandshakeAuth {
  token: string;
  /** Names the client: the `control` event shows it; a controller with the holder's clientId replaces it. */
  clientId?: string;
  role?: ClientRole;
  /** Pushed events carry `PushMeta` as a second argument; a `replay_info` event comes first. */
  meta?: boolean;
  /** The highest seq this client received: retained events after it are replayed first (implies `meta`). */
  lastSeq?: number;
  /** The `replay_info` epoch lastSeq belongs to. */
  epoch?: string;
}

/**
 * `connect_error`'s `err.data` for every refusal: message `"unauthorized"` (E_UNAUTHORIZED),
 * `"busy"` (E_BUSY: `controller` names the holder; `observers`/`limit` when the observer
 * slots are full) or `"invalid role"` (E_INVALID_PAYLOAD, `field: "role"`).
 */
export interface ConnectErrorData {
  code: 'E_UNAUTHORIZED' | 'E_BUSY' | 'E_INVALID_PAYLOAD';
  controller?: string | null;
  observers?: number;
  limit?: number;
  field?: string;
}

/**
 * The lease as one client sees it: sent on connect and to every client whenever the holder
 * or the observer count changes.
 */
export interface ControlState {
  /** The holder's `clientId` (`"anonymous"` when it sent none), or null: nobody holds the lease. */
  controller: string | null;
  /** When the holder took the lease, ms since the epoch (null: nobody holds it). */
  since: number | null;
  /** Observers connected now. */
  observers: number;
  /** The receiving client's own role. */
  role: ClientRole;
}

/** `take_control`: claim the lease; `force` demotes the holder to observer. */
export interface TakeControlPayload {
  force?: boolean;
}
/** `take_control`'s success: the caller now holds the lease. E_BUSY's `data.controller` names the holder. */
export interface TakeControlResult {
  controller: string;
  since: number;
}
/** `release_control`'s success: nobody holds the lease; the caller observes. */
export interface ReleaseControlResult {
  controller: null;
}
/** `emergency_stop`'s success: the objects whose `stop()` hook ran. */
export interface EmergencyStopResult {
  stopped: string[];
}

/** Events a client emits. Each takes an ack callback. */
export interface ClientToServerEvents {
  update(payload: UpdatePayload, ack: AckFn<UpdateResult>): void;
  /** A project ZIP in pieces: one copy held by the server, not two; an oversized one refused at its first piece. */
  update_chunk(payload: UpdateChunkPayload, ack: AckFn<UpdateChunkProgress | UpdateResult>): void;
  start(payload: Record<string, never>, ack: AckFn<StartResult>): void;
  process(payload: ProcessPayload, ack: AckFn<unknown>): void;
  record(payload: RecordPayload, ack: AckFn<RecordResult>): void;
  /** Claim the lease (E_BUSY when held and not forced). */
  take_control(payload: TakeControlPayload, ack: AckFn<TakeControlResult>): void;
  /** Give the lease up (E_NOT_CONTROLLER from a non-holder); the stop() hooks run. */
  release_control(payload: Record<string, never>, ack: AckFn<ReleaseControlResult>): void;
  /** Run every stop() hook now: from any client, observers included. */
  emergency_stop(payload: Record<string, never>, ack: AckFn<EmergencyStopResult>): void;
  /** Throttle a `"latest"` event for this client (any role). */
  subscribe(payload: SubscribePayload, ack: AckFn<SubscriptionsResult>): void;
  unsubscribe(payload: UnsubscribePayload, ack: AckFn<SubscriptionsResult>): void;
}

/**
 * Events the server emits. Pushed robot events use the robot's own names and
 * arrive as `(data)`, or `(data, meta: PushMeta)` for a client that asked; the names
 * below are the broker's own and are reserved.
 */
export interface ServerToClientEvents {
  worker_status(status: WorkerStatus): void;
  broker_error(error: { message: string; data: WireError }): void;
  events_shed(report: ShedReport): void;
  robot_log(line: RobotLogLine): void;
  /** The lease changed (or this client just connected). */
  control(state: ControlState): void;
  /** The loaded project's listing (what `start` answers), on connect and whenever it changes; null: none loaded. */
  project(listing: StartResult | null): void;
  /** First, to a client that asked for meta. */
  replay_info(info: ReplayInfo): void;
  replay_gap(gap: ReplayGap): void;
}

/**
 * One line robot code wrote to stdout or stderr (JS `console.*`, `process.stdout.write`,
 * Python prints, its child processes): shown to the controlling client and /monitor,
 * rate-limited per worker (a burst past the limit is reported as one line saying how
 * many were dropped). Never parsed: it is the robot's text, with secrets redacted.
 */
export interface RobotLogLine {
  stream: 'stdout' | 'stderr';
  line: string;
  /** When the server read it, ms since the epoch. */
  ts: number;
  /** The worker generation whose robot code wrote it. */
  generation: number;
}

/** Names robot code may never push: Socket.IO's own, the seed's `callback`, and the broker's. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'connect', 'connect_error', 'disconnect', 'disconnecting', 'error', 'message',
  'newListener', 'removeListener', 'ping', 'pong', 'reconnect', 'reconnect_attempt',
  'reconnect_error', 'reconnect_failed', 'callback',
  'worker_status', 'broker_error', 'events_shed', 'robot_log', 'update', 'update_chunk', 'start', 'process',
  'control', 'project', 'take_control', 'release_control', 'emergency_stop',
  'replay_info', 'replay_gap', 'subscribe', 'unsubscribe',
]);

/** The longest event name robot code may push. */
export const MAX_EVENT_NAME = 200;

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
  /** The event's PushMeta.seq. */
  seq: number;
  /** no_client: nobody was connected (the event waits in the replay ring). */
  outcome: 'delivered' | 'no_client';
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
  robot_log(line: RobotLogLine): void;
}
