/** RobotClient's options, states and events. */
import type { ClientRole, PushMeta, ServerToClientEvents } from '../ipc/protocol.js';
import type { BackoffOptions } from './backoff.js';
import type { RobotError } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8000';
/** A little past the broker's default max_execution_time (300 s), so the broker's own E_TIMEOUT normally arrives first. */
export const DEFAULT_CALL_TIMEOUT_MS = 310_000;

export interface ReconnectOptions extends BackoffOptions {
  /** Give up after this many failed attempts in a row (Infinity: never). */
  maxAttempts: number;
  /** A connection that lasted this long (ms) resets the backoff to its first step. */
  resetAfterMs: number;
}

export interface RobotClientOptions {
  /** The broker, e.g. http://127.0.0.1:8000 (the default). */
  url?: string;
  token: string;
  /**
   * Identifies this client across its own reconnects: the broker lets a connection
   * with the holder's clientId replace the holder (a stale connection) instead of
   * answering "busy". Default: a random id per RobotClient instance.
   */
  clientId?: string;
  /**
   * The part this client asks for in the control lease. `controller` (the default) drives:
   * refused as "busy" while another controller holds the lease. `observer` is always admitted
   * (up to the broker's `max_observers`), receives every event, may call `emergencyStop()`
   * and `takeControl()`, but its `update`/`start`/`call` answer E_NOT_CONTROLLER. A watcher
   * connects as an observer. After `takeControl()`/`releaseControl()`, or being forced out,
   * reconnects ask for the role the client last held.
   */
  role?: ClientRole;
  /** Default per-call timeout in ms, from the call until its answer, queueing included. 0: none. */
  callTimeoutMs?: number;
  /**
   * While not connected, calls wait in a queue until the connection is back (or their
   * timeout passes). false: they reject at once with E_NOT_CONNECTED. Default true.
   */
  queueWhileDisconnected?: boolean;
  /** Backoff for reconnecting; false: never reconnect (the first failure closes the client). */
  reconnect?: Partial<ReconnectOptions> | false;
  /** Socket.IO transports, in order. Default ['websocket']. */
  transports?: Array<'websocket' | 'polling'>;
  /**
   * Resume a stream: a previous client's `lastSeq` and `epoch` (a program that restarted).
   * The first connection then replays what was pushed after it, as every reconnect does.
   */
  lastSeq?: number;
  epoch?: string;
}

export interface CallOptions {
  /** Overrides `callTimeoutMs` for this call. 0: none. */
  timeoutMs?: number;
}

/** `update()`'s options: a call's, and how far the upload has got. */
export interface UpdateOptions extends CallOptions {
  /** Told as each piece of the ZIP is answered: bytes the broker has, of `total`. */
  onProgress?: (received: number, total: number) => void;
}

/**
 * What the client is doing.
 * - idle: made, connect() not called yet
 * - connecting: a connection attempt is under way
 * - connected: calls go straight out
 * - waiting: the last attempt failed or the connection dropped; the next attempt is scheduled
 * - closed: close() was called, or the client gave up (unauthorized, maxAttempts, connect timeout)
 */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

/** The client's own events. Their names are reserved, so robot code can never push them. */
export interface ClientEvents {
  connect(): void;
  disconnect(reason: string): void;
  /** One connection attempt failed (E_BUSY, E_UNAUTHORIZED, E_INVALID_PAYLOAD, E_UNREACHABLE). */
  connect_error(error: RobotError): void;
  /** The next attempt is scheduled in `delayMs`. */
  reconnect_attempt(info: { attempt: number; delayMs: number }): void;
  /** The client gave up and is closed: `error` says why. */
  reconnect_failed(error: RobotError): void;
}

/**
 * Every event with a known payload: the broker's (worker_status, control, project, events_shed,
 * broker_error, robot_log, stream, replay_gap) and the client's.
 */
export type KnownEvents = ServerToClientEvents & ClientEvents;

/** A robot push's listener: what the robot pushed, and its seq, ts and reqId. */
export type PushListener = (data: unknown, meta: PushMeta) => void;

/** `onAny`: every packet from the broker; `meta` is undefined for the broker's own events. */
export type AnyListener = (event: string, data: unknown, meta: PushMeta | undefined) => void;
