/**
 * One Socket.IO connection and its lifecycle, as the operator needs to see it:
 * connecting, connected, busy (another client holds the robot), unauthorized,
 * reconnecting (with backoff), unavailable (no such namespace).
 *
 * Socket.IO's own reconnection is off: it does not retry a connection the server
 * refused ("busy"), and it does not say when the next try is. Ours does both, with
 * exponential backoff and jitter, and `retryNow()` skips the wait.
 *
 * On the control namespace the link asks for a role in the control lease: `controller`
 * first; refused as busy (someone else holds the lease) it comes straight back as an
 * `observer`, which the broker always admits (up to its observer limit). Every
 * (re)connection also says where this tab's push stream stopped (`opts.auth`,
 * replay.ts), so the broker replays what was pushed while the link was down.
 */
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientRole, ClientToServerEvents, ConnectErrorData, HandshakeAuth } from '#protocol';

export type LinkState =
  /** Not opened yet (no token). */
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'connected'; transport: string }
  /** The broker admits no more clients (every observer slot taken); we try again at `retryAt`. */
  | { kind: 'busy'; attempt: number; retryAt: number }
  /** The broker refused the token. No retry: a person must give another one. */
  | { kind: 'unauthorized' }
  /** `reason` in plain words; `detail`: Socket.IO's own term ("xhr poll error"). */
  | { kind: 'reconnecting'; attempt: number; retryAt: number; reason: string; detail: string }
  /** The broker answered but has no such namespace (an older broker without /monitor). */
  | { kind: 'unavailable'; reason: string };

export interface LinkOptions {
  /** The broker's origin (and path prefix, if proxied). */
  url: string;
  /** '' for the control namespace, '/monitor' for watching. */
  namespace: string;
  clientId?: string;
  /** The role to ask for first (the control namespace); none on /monitor. */
  role?: ClientRole;
  /** More of the handshake, read at every (re)connection: the push stream's meta and lastSeq (replay.ts). */
  auth?: () => Partial<HandshakeAuth>;
  onState(state: LinkState): void;
}

type Command = keyof ClientToServerEvents;
type PayloadOf<K extends Command> = Parameters<ClientToServerEvents[K]>[0];
type ResultOf<K extends Command> = Parameters<ClientToServerEvents[K]>[1] extends (ack: Ack<infer T>) => void ? T : never;

/** A command's answer and its round-trip time. */
export interface Answer<T> {
  ack: Ack<T>;
  ms: number;
}

const BACKOFF = {
  reconnecting: { base: 500, cap: 10_000 },
  busy: { base: 2_000, cap: 15_000 },
};

function backoff(kind: keyof typeof BACKOFF, attempt: number): number {
  const { base, cap } = BACKOFF[kind];
  const ms = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ms * (0.75 + Math.random() * 0.5)); // jitter: many panels never retry in step
}

export class Link<Listen extends object> {
  readonly socket: Socket;
  state: LinkState = { kind: 'idle' };
  /** Set before `open()`; read at every (re)connection. */
  token = '';
  /** The role asked for at the next (re)connection: the one this tab last held (the `control` event keeps it). */
  role: ClientRole | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Calls waiting for their ack: failed at once when the connection drops. */
  private readonly pending = new Set<(err: Error) => void>();

  constructor(private readonly opts: LinkOptions) {
    this.role = opts.role;
    const base = opts.url.replace(/\/$/, '');
    this.socket = io(base + opts.namespace, {
      autoConnect: false,
      reconnection: false,
      // WebSocket first: binary frames for uploads (long-polling would base64 them).
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      auth: (cb) => cb({ ...opts.auth?.(), token: this.token, ...(opts.clientId ? { clientId: opts.clientId } : {}), ...(this.role ? { role: this.role } : {}) }),
    });
    const s = this.socket;
    s.on('connect', () => {
      this.attempt = 0;
      this.set({ kind: 'connected', transport: this.transport() });
      s.io.engine?.once('upgrade', () => {
        if (this.state.kind === 'connected') this.set({ kind: 'connected', transport: this.transport() });
      });
    });
    s.on('connect_error', (err: Error & { data?: Partial<ConnectErrorData> }) => {
      // The code, where the broker sends one; older brokers only said it in the message.
      const code = err.data?.code ?? (err.message === 'unauthorized' ? 'E_UNAUTHORIZED' : err.message === 'busy' ? 'E_BUSY' : undefined);
      if (code === 'E_UNAUTHORIZED') this.set({ kind: 'unauthorized' });
      else if (code === 'E_BUSY' && this.role === 'controller' && err.data?.code) {
        // Someone else drives: watch as an observer, at once (the panel offers "Take control").
        this.role = 'observer';
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.socket.connect(), 0);
      } else if (code === 'E_BUSY') this.retry('busy', 'busy');
      else if (err.message === 'Invalid namespace') this.set({ kind: 'unavailable', reason: `this broker has no ${opts.namespace} namespace` });
      else this.retry('reconnecting', err.message || 'connection failed');
    });
    s.on('disconnect', (reason: string) => {
      this.failPending(new Error(`the connection dropped (${reason}) before the answer came`));
      if (reason === 'io client disconnect') return;
      this.retry('reconnecting', reason);
    });
  }

  /** Typed listeners for the namespace's own events. */
  on<K extends keyof Listen & string>(event: K, fn: Listen[K]): void {
    (this.socket.on as (e: string, f: unknown) => void)(event, fn);
  }

  /** Every event, including the robot's own names (which no type can list). */
  onAny(fn: (event: string, ...args: unknown[]) => void): void {
    this.socket.onAny(fn);
  }

  open(): void {
    clearTimeout(this.timer);
    this.set({ kind: 'connecting' });
    this.socket.connect();
  }

  retryNow(): void {
    if (this.state.kind === 'busy' || this.state.kind === 'reconnecting') this.open();
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket.disconnect();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Send a command and wait for its ack; rejects if the connection drops first. */
  call<K extends Command>(command: K, payload: PayloadOf<K>): Promise<Answer<ResultOf<K>>> {
    if (!this.socket.connected) return Promise.reject(new Error('not connected to the broker'));
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const fail = (err: Error) => {
        this.pending.delete(fail);
        reject(err);
      };
      this.pending.add(fail);
      this.socket.emit(command, payload, (ack: Ack<ResultOf<K>>) => {
        if (!this.pending.delete(fail)) return;
        resolve({ ack, ms: performance.now() - started });
      });
    });
  }

  private transport(): string {
    return this.socket.io.engine?.transport?.name ?? 'unknown';
  }

  private retry(kind: 'busy' | 'reconnecting', reason: string): void {
    clearTimeout(this.timer);
    this.attempt += 1;
    const wait = backoff(kind, this.attempt);
    const retryAt = Date.now() + wait;
    this.set(kind === 'busy' ? { kind, attempt: this.attempt, retryAt } : { kind, attempt: this.attempt, retryAt, reason: plainReason(reason), detail: reason });
    this.timer = setTimeout(() => {
      this.set({ kind: 'connecting' });
      this.socket.connect();
    }, wait);
  }

  private failPending(err: Error): void {
    for (const fail of [...this.pending]) fail(err);
  }

  private set(state: LinkState): void {
    this.state = state;
    this.opts.onState(state);
  }
}

/** Socket.IO's reasons, in words an operator can act on. */
const PLAIN: Record<string, string> = {
  'xhr poll error': 'The broker does not answer (stopped, restarting, or the network is down)',
  'websocket error': 'The broker does not answer (stopped, restarting, or the network is down)',
  timeout: 'The broker did not answer in time',
  'transport close': 'The connection closed (the broker stopped or restarted, or the network dropped)',
  'transport error': 'The connection failed (network trouble)',
  'ping timeout': 'The broker stopped answering (network trouble, or it is overloaded)',
  'io server disconnect': 'The broker closed the connection (it is stopping, or this tab was replaced)',
  'parse error': 'The broker sent something this panel could not read',
};

export function plainReason(reason: string): string {
  return PLAIN[reason] ?? reason;
}
