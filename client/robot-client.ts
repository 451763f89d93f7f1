/**
 * RobotClient: the broker's protocol as Promises and events.
 *
 *   const robot = await RobotClient.connect({ url, token });
 *   await robot.update('./my-robot');           // a folder, a .zip path or ZIP bytes
 *   await robot.call('sport_client', 'StandUp');
 *   robot.on('odometry', (pose, meta) => console.log(meta.seq, pose));
 *   await robot.close();
 *
 * The control lease: a client is the `controller` (the default; one at a time) or an
 * `observer` (`role: 'observer'`: sees everything, may emergencyStop() and takeControl()).
 *
 * One Socket.IO connection at a time, made fresh for every attempt; the SDK does
 * its own reconnecting (socket.io-client's Manager gives up on middleware refusals
 * such as "busy", and never retries after the server disconnects a socket). Each
 * reconnect carries the last seq received, so the broker replays what was pushed
 * meanwhile (docs/REPLAY.md; stream.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { io } from './socket-io.js';
import type {
  AckFn,
  ClientRole,
  ClientToServerEvents,
  ControlState,
  EmergencyStopResult,
  ReleaseControlResult,
  ServerToClientEvents,
  StartResult,
  SubscriptionsResult,
  TakeControlResult,
  UpdateResult,
} from '../ipc/protocol.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { BrokerError, connectError, RobotClientError, type RobotError } from './errors.js';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_URL,
  type CallOptions,
  type UpdateOptions,
  type ClientState,
  type ReconnectOptions,
  type RobotClientOptions,
} from './options.js';
import { RobotListeners } from './listeners.js';
import type { ProjectSource } from './pack.js';
import { PendingCalls, type Command, type PendingCall } from './pending-calls.js';
import { PushStream } from './stream.js';
import { sendInPieces } from '../ipc/upload-pieces.js';

type Wire = Socket<ServerToClientEvents, ClientToServerEvents>;
type PayloadOf<K extends Command> = Parameters<ClientToServerEvents[K]>[0];
type ResultOf<K extends Command> = Parameters<ClientToServerEvents[K]>[1] extends AckFn<infer T> ? T : never;

interface Waiter {
  resolve(): void;
  reject(error: RobotError): void;
}

export class RobotClient extends RobotListeners {
  readonly url: string;
  readonly clientId: string;
  private readonly token: string;
  private readonly callTimeoutMs: number;
  private readonly queueWhileDisconnected: boolean;
  private readonly reconnect: ReconnectOptions | null;
  private readonly transports: Array<'websocket' | 'polling'>;

  private readonly stream: PushStream;
  private socket: Wire | null = null;
  private currentState: ClientState = 'idle';
  private readonly pending = new PendingCalls();
  private readonly waiters = new Set<Waiter>();
  private attempts = 0;
  private connectedAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastError: RobotError | null = null;
  private closedWith: RobotError | null = null;
  /** The role to ask for at the next (re)connection: the one this client last held. */
  private currentRole: ClientRole;
  private lastControl: ControlState | null = null;

  constructor(options: RobotClientOptions) {
    super();
    this.url = options.url ?? DEFAULT_URL;
    this.token = options.token;
    this.clientId = options.clientId ?? randomUUID();
    this.currentRole = options.role ?? 'controller';
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.queueWhileDisconnected = options.queueWhileDisconnected ?? true;
    this.reconnect =
      options.reconnect === false ? null : { ...DEFAULT_BACKOFF, maxAttempts: Infinity, resetAfterMs: 5_000, ...options.reconnect };
    this.transports = options.transports ?? ['websocket'];
    this.stream = new PushStream({ lastSeq: options.lastSeq, epoch: options.epoch });
  }

  /** Make a client and wait until it is connected (see connect()). */
  static async connect(options: RobotClientOptions & { connectTimeoutMs?: number }): Promise<RobotClient> {
    const client = new RobotClient(options);
    await client.connect({ timeoutMs: options.connectTimeoutMs });
    return client;
  }

  get state(): ClientState {
    return this.currentState;
  }

  get connected(): boolean {
    return this.currentState === 'connected';
  }

  /** The role this client holds (or asks for at its next connection). */
  get role(): ClientRole {
    return this.currentRole;
  }

  /** The lease as the broker last told it (the `control` event), or null before the first. */
  get lease(): ControlState | null {
    return this.lastControl;
  }

  /** The highest seq received (or replayed past); sent at every reconnect so the broker replays what came after. */
  get lastSeq(): number | undefined {
    return this.stream.lastSeq;
  }

  /** The broker run `lastSeq` belongs to (the `replay_info` event's `epoch`). */
  get epoch(): string | undefined {
    return this.stream.epoch;
  }

  /**
   * Resolve once connected. "busy" and unreachable brokers are retried with backoff;
   * "unauthorized" rejects at once (E_UNAUTHORIZED) and closes the client. With
   * `timeoutMs`, give up after that long: reject with the last connect error (E_BUSY,
   * E_UNREACHABLE) or E_CONNECT_TIMEOUT, and close the client.
   */
  connect(options: { timeoutMs?: number | undefined } = {}): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.currentState === 'connected') return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiters.add(waiter);
      if (options.timeoutMs !== undefined && options.timeoutMs > 0 && Number.isFinite(options.timeoutMs)) {
        const ms = options.timeoutMs;
        const timer = setTimeout(() => {
          if (!this.waiters.has(waiter)) return;
          this.giveUp(
            this.lastError ?? new RobotClientError('E_CONNECT_TIMEOUT', `could not connect to ${this.url} within ${ms} ms`, { timeoutMs: ms }),
          );
        }, ms);
        const settle = () => clearTimeout(timer);
        waiter.resolve = () => (settle(), resolve());
        waiter.reject = (e) => (settle(), reject(e));
      }
    });
    if (this.currentState === 'idle') this.open();
    return done;
  }

  /** Upload a project: ZIP bytes, a .zip file's path, or a project folder (packed like `robot-control pack`). */
  async update(source: ProjectSource, options: UpdateOptions = {}): Promise<UpdateResult> {
    // The ZIP library is loaded by the first upload: a program that only calls does not pay for it.
    const { zipOf } = await import('./pack.js');
    const zip = await zipOf(source);
    const label = `update (${zip.length} bytes)`;
    if (zip.length === 0) return this.request('update', { data: zip }, label, options);
    // In pieces (`update_chunk`): the broker holds one copy of it, not two. A broker from before pieces answers
    // E_UNKNOWN_EVENT to the first: then the ZIP goes whole, as it always did.
    try {
      const { onProgress, ...callOptions } = options;
      const result = await sendInPieces(zip, (piece) => this.request('update_chunk', piece, label, callOptions), { onProgress });
      return result as UpdateResult;
    } catch (err) {
      if (err instanceof BrokerError && err.code === 'E_UNKNOWN_EVENT') return this.request('update', { data: zip }, label, { timeoutMs: options.timeoutMs });
      throw err;
    }
  }

  /** Load the current project; lists each object and its methods. */
  start(options?: CallOptions): Promise<StartResult> {
    return this.request('start', {}, 'start', options);
  }

  /**
   * Call `object.method`. `args` as an array is spread as positional arguments; an object
   * is passed as the single argument; absent means no arguments. Resolves with the
   * method's return value; rejects with a BrokerError carrying the broker's code
   * (E_UNKNOWN_OBJECT, E_METHOD_FAILED, E_TIMEOUT, ...) or a RobotClientError.
   */
  call<T = unknown>(object: string, method: string, args?: unknown[] | Record<string, unknown>, options?: CallOptions): Promise<T> {
    const params = args === undefined ? { object, method } : { object, method, args };
    return this.request('process', { params }, `${object}.${method}`, options) as Promise<T>;
  }

  /**
   * Take the control lease. Without `force` it rejects with E_BUSY (`details.controller`)
   * while someone else holds it; with `force` the holder is demoted to observer. Either way
   * the broker runs the project's stop() hooks when the holder changes.
   */
  async takeControl(options: { force?: boolean } & CallOptions = {}): Promise<TakeControlResult> {
    const { force, ...callOptions } = options;
    const result = await this.request('take_control', force ? { force: true } : {}, 'take_control', callOptions);
    this.currentRole = 'controller';
    return result;
  }

  /** Give the lease up and observe (E_NOT_CONTROLLER when this client does not hold it). The stop() hooks run. */
  async releaseControl(options?: CallOptions): Promise<ReleaseControlResult> {
    const result = await this.request('release_control', {}, 'release_control', options);
    this.currentRole = 'observer';
    return result;
  }

  /** Run the project's stop() hooks now, from any client (observers too); resolves with the objects stopped. */
  emergencyStop(options?: CallOptions): Promise<EmergencyStopResult> {
    return this.request('emergency_stop', {}, 'emergency_stop', options);
  }

  /**
   * Throttle the `"latest"` event `event` to at most `maxRateHz` for this client (docs/REPLAY.md).
   * Kept across reconnects until unsubscribe(). Resolves with this client's throttles; a bad
   * event name or rate rejects with E_INVALID_PAYLOAD (the throttle stays as it was).
   */
  async subscribe(event: string, maxRateHz: number, options?: CallOptions): Promise<SubscriptionsResult> {
    const previous = this.stream.throttle(event, maxRateHz);
    try {
      return await this.request('subscribe', { event, max_rate_hz: maxRateHz }, `subscribe ${event}`, options);
    } catch (err) {
      if (err instanceof BrokerError) this.stream.throttle(event, previous);
      throw err;
    }
  }

  /** Drop the throttle on `event`; resolves with this client's throttles. */
  unsubscribe(event: string, options?: CallOptions): Promise<SubscriptionsResult> {
    this.stream.throttle(event, undefined);
    return this.request('unsubscribe', { event }, `unsubscribe ${event}`, options);
  }

  /**
   * Disconnect and stop reconnecting. Calls still waiting reject with E_CLOSED.
   * Resolves once the connection is closed (bounded: at most one second).
   */
  async close(): Promise<void> {
    const socket = this.socket;
    const wasConnected = this.currentState === 'connected';
    this.shutdown(new RobotClientError('E_CLOSED', 'the client was closed'));
    if (wasConnected) this.emitOwn('disconnect', 'io client disconnect');
    const engine = socket?.io.engine;
    if (!engine || engine.readyState === 'closed') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      engine.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // ------------------------------------------------------------ connection

  private open(): void {
    this.currentState = 'connecting';
    const socket: Wire = io(this.url, {
      auth: { token: this.token, clientId: this.clientId, role: this.currentRole, ...this.stream.handshake() },
      forceNew: true,
      reconnection: false,
      transports: this.transports,
    });
    this.socket = socket;
    socket.on('connect', () => this.onConnect(socket));
    socket.on('connect_error', (err) => this.onConnectError(socket, err));
    socket.on('disconnect', (reason) => this.onDisconnect(socket, reason));
    // Everything the server emits: robot pushes under their own names, and the broker's events.
    socket.onAny((event: string, ...args: unknown[]) => {
      // Before any listener runs: a listener reading `role`, `lease` or `lastSeq` sees this state.
      if (event === 'control') this.noteControl(args[0] as ControlState);
      this.deliver(event, args[0], this.stream.receive(event, args));
    });
  }

  private noteControl(state: ControlState): void {
    this.lastControl = state;
    if (state.role === 'controller' || state.role === 'observer') this.currentRole = state.role;
  }

  private onConnect(socket: Wire): void {
    if (this.socket !== socket) return;
    this.currentState = 'connected';
    this.connectedAt = Date.now();
    this.lastError = null;
    // The broker forgets throttles with the connection. Sent without an ack: a refusal comes
    // back as `broker_error`. Then queued calls, in the order they were made (a queued
    // subscribe may so go twice: the broker replaces a throttle, never adds one).
    const resubscribe = socket.emit.bind(socket) as (event: 'subscribe', payload: unknown) => void;
    for (const payload of this.stream.subscriptions()) resubscribe('subscribe', payload);
    for (const call of this.pending.queued()) this.send(socket, call);
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
    this.emitOwn('connect');
  }

  private onConnectError(socket: Wire, err: Error): void {
    if (this.socket !== socket) return;
    this.discard(socket);
    const error = connectError(err, this.url);
    this.lastError = error;
    this.emitOwn('connect_error', error);
    // Busy and unreachable may clear up; a wrong token or an unknown role will not.
    if (error.code !== 'E_BUSY' && error.code !== 'E_UNREACHABLE') this.giveUp(error);
    else this.retry(error);
  }

  private onDisconnect(socket: Wire, reason: string): void {
    if (this.socket !== socket) return;
    this.discard(socket);
    if (Date.now() - this.connectedAt >= (this.reconnect?.resetAfterMs ?? 0)) this.attempts = 0;
    this.pending.failSent(reason);
    this.emitOwn('disconnect', reason);
    this.retry(new RobotClientError('E_DISCONNECTED', `disconnected: ${reason}`, { reason }));
  }

  private retry(error: RobotError): void {
    if (this.closedWith) return;
    if (!this.reconnect || this.attempts >= this.reconnect.maxAttempts) {
      this.giveUp(error);
      return;
    }
    const delayMs = backoffDelay(this.attempts, this.reconnect);
    this.attempts += 1;
    this.currentState = 'waiting';
    this.emitOwn('reconnect_attempt', { attempt: this.attempts, delayMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closedWith) this.open();
    }, delayMs);
  }

  private giveUp(error: RobotError): void {
    if (this.closedWith) return;
    this.shutdown(error);
    this.emitOwn('reconnect_failed', error);
  }

  /** Close for good: every waiting call and connect() rejects with `error`. */
  private shutdown(error: RobotError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.currentState = 'closed';
    clearTimeout(this.retryTimer);
    if (this.socket) this.discard(this.socket);
    this.pending.failAll(error);
    for (const w of this.waiters) w.reject(error);
    this.waiters.clear();
  }

  private discard(socket: Wire): void {
    socket.removeAllListeners();
    socket.offAny();
    socket.disconnect();
    if (this.socket === socket) this.socket = null;
  }

  // ------------------------------------------------------------ calls

  private request<K extends Command>(event: K, payload: PayloadOf<K>, label: string, options: CallOptions = {}): Promise<ResultOf<K>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.currentState !== 'connected' && !this.queueWhileDisconnected) {
      return Promise.reject(new RobotClientError('E_NOT_CONNECTED', `${label}: not connected to ${this.url}`));
    }
    const { entry, answer } = this.pending.add({ label, event, payload }, options.timeoutMs ?? this.callTimeoutMs);
    if (this.currentState === 'connected' && this.socket) this.send(this.socket, entry);
    else if (this.currentState === 'idle') this.open();
    return answer as Promise<ResultOf<K>>;
  }

  private send(socket: Wire, call: PendingCall): void {
    call.sent = true;
    const emit = socket.emit.bind(socket) as (event: Command, payload: unknown, ack: (response: unknown) => void) => void;
    emit(call.event, call.payload, (response) => this.pending.settle(call, response));
  }
}
