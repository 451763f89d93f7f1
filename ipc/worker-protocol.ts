/**
 * The server <-> worker wire, typed once for both processes: ZeroMQ DEALER/ROUTER for
 * commands (`WorkerRequest` / `WorkerReply`), PUB/SUB for what robot code pushes
 * (`PushedEvent`), and what the server hands a worker at its start (`WorkerHello` on
 * its private pipe). Every request carries an `id`; its reply and the events it causes
 * carry the same id. On DEALER/ROUTER a message is one or more parts, each one JSON
 * request (or reply): those of one turn travel together (part-batch.ts). The
 * client-facing wire is protocol.ts.
 */
import type { WireError } from './errors.js';
import type { ProcessParams, ProjectType, StartResult } from './protocol.js';

/** A project folder as the worker sees it, and its kind (the server found the entry module). */
export interface ProjectInfo {
  dir: string;
  type: ProjectType;
  entry: string;
}

/** Each worker command: its parameters and its result. */
export interface WorkerCalls {
  /**
   * Load the project in `dir` (once: a worker runs one project in its life) and list its
   * objects. The server sends it to every worker it makes current, and to an update's
   * candidate before `current` is swapped.
   */
  load: { params: { project: ProjectInfo }; result: StartResult };
  /** The client's `start`: the loaded project's objects (loading it first if it is not yet). */
  start: { params: Record<string, never>; result: StartResult };
  /** Call `object.method(...args)`. */
  process: { params: ProcessParams; result: unknown };
  /** Call every `stop()` hook; the project stays loaded. */
  stop_hooks: { params: Record<string, never>; result: { stopped: string[] } };
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
  /**
   * Sent once, after the worker's publisher has seen the server's subscription. `secret`
   * is the one the server handed this process over its private pipe (WorkerHello): a
   * `ready` without it did not come from a process the server spawned.
   */
  | { type: 'ready'; generation: number; pid: number; secret: string };

/** Worker -> server over PUB/SUB: one robot `pushMessage(event, data)`. */
export interface PushedEvent {
  generation: number;
  /** The request whose call caused the push, or 0 when it came from a timer or loop. */
  reqId: number;
  event: string;
  data: unknown;
  /** "latest": under backpressure only the newest of this event name counts (telemetry). Absent: "all", never dropped. */
  qos?: 'latest';
}

/** The worker's part of the config, handed over by the server (the worker never reads YAML). */
export interface WorkerConfig {
  generation: number;
  commandEndpoint: string;
  callbackEndpoint: string;
  /** How long the stop() hooks may take, in ms. */
  stopTimeoutMs: number;
  pythonPath: string;
  /** Heap limit for robot code, in MiB (Node's --max-old-space-size; Python's RLIMIT_AS). */
  maxMemoryMb: number;
  /** How often the server pings, in ms (executors with a child of their own ping it likewise). */
  heartbeatIntervalMs: number;
  /** How long a ping may go unanswered before the pinged process counts as wedged, in ms. */
  heartbeatTimeoutMs: number;
  logLevel: string;
  /**
   * Start a Python interpreter at boot, before any project is assigned (a spare of a
   * broker whose current project is Python): the next Python load skips the
   * interpreter's start. Absent: false.
   */
  warmPython?: boolean;
}

/** Exit codes the worker uses, so the supervisor can say why it ended. */
export const WORKER_EXIT = {
  badConfig: 78,
  uncaught: 70,
} as const;

/**
 * The worker's ZeroMQ routing id: one per generation, so a late reply from a dead worker is
 * never taken for a new one's, with a random part, so no other local process can take a
 * future worker's id first (a ROUTER refuses a second peer with an id in use).
 */
export function workerRoutingId(generation: number, nonce: string): string {
  return `worker-${generation}-${nonce}`;
}

/**
 * The first and only message the server writes on the worker's private pipe (fd
 * WORKER_PIPE_FD), as one JSON line: never in the environment or argv, where robot code
 * and `/proc/<pid>/{environ,cmdline}` could read it. The worker reads it before any
 * robot code runs.
 */
export interface WorkerHello {
  config: WorkerConfig;
  routingId: string;
  /** Proves the worker's `ready` (WorkerProcess.verifyReady). */
  secret: string;
  /** It runs in a sandbox that dies with the server (bwrap --die-with-parent): see worker/watchdog.ts. */
  sandboxed: boolean;
}

/**
 * The worker's fd 3: the hello arrives on it (server -> worker) and the worker's own log
 * lines leave on it (worker -> server, JSON). Robot output is fds 1 and 2, never this one.
 */
export const WORKER_PIPE_FD = 3;

/**
 * The worker's fd 4: nothing is ever written on it. The server holds the other end, so
 * the worker reads end-of-file on it the moment the server dies, however it dies, in a
 * sandbox or not (worker/watchdog.ts).
 */
export const WORKER_LIFELINE_FD = 4;
