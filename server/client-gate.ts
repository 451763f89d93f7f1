/**
 * Who may connect: a valid token, then a place in the control lease (control/lease.ts).
 * A controller (`auth.role` absent or "controller", the seed's clients) is admitted when
 * the lease is free or it has the holder's `auth.clientId` (a reloaded tab replacing its
 * own stale connection instead of waiting for the ping timeout); an observer while
 * observer slots are free. The check and the claim happen in one synchronous step, so a
 * connect storm admits exactly one controller. Every refusal's `connect_error` carries
 * `err.data.code` (ConnectErrorData): clients branch on it, never on the message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'socket.io';
import { CLIENT_ROLES, type ClientRole, type ConnectErrorData } from '../ipc/protocol.js';
import type { BrokerEvents } from './broker-events.js';
import { ControlLease, type ControlChange, type Holder } from './control/lease.js';
import { EVENTS_CHANNEL, type Logger } from './logger.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function tokenMatches(given: unknown, expected: string): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(expected));
}

/** The token a client sent: `auth.token`, or an `Authorization: Bearer` header. */
export function tokenOf(socket: Socket): unknown {
  const auth = socket.handshake.auth as Record<string, unknown> | undefined;
  if (auth && 'token' in auth) return auth.token;
  const header = socket.handshake.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

/** The role a handshake asks for: controller when absent (seed clients); null when it is not a role. */
export function roleOf(socket: Socket): ClientRole | null {
  const role = (socket.handshake.auth as Record<string, unknown> | undefined)?.role;
  if (role === undefined) return 'controller';
  return (CLIENT_ROLES as unknown[]).includes(role) ? (role as ClientRole) : null;
}

function refusal(message: string, data: ConnectErrorData): Error {
  // Socket.IO sends `err.data` to the client with the connect_error.
  return Object.assign(new Error(message), { data });
}

export class ClientGate {
  readonly lease: ControlLease;

  constructor(
    private readonly token: string,
    private readonly log: Logger,
    /** Disconnect the socket with this id (the stale connection being replaced). */
    private readonly evict: (socketId: string) => void,
    private readonly events: BrokerEvents,
    maxObservers: number,
    /** The lease changed hands at admission (a first controller, a replaced one). */
    private readonly onChange: (change: ControlChange) => void,
  ) {
    this.lease = new ControlLease(maxObservers);
  }

  /** The controller, if any. */
  current(): Holder | null {
    return this.lease.current();
  }

  /** Socket.IO middleware: admit, or refuse with "unauthorized" / "busy" / "invalid role". */
  readonly middleware = (socket: Socket, next: (err?: Error) => void): void => {
    const address = socket.handshake.address;
    const refuse = (reason: string, message: string, data: ConnectErrorData): void => {
      this.events.emit('client', { state: 'refused', at: Date.now(), address, reason });
      next(refusal(message, data));
    };
    if (!tokenMatches(tokenOf(socket), this.token)) return refuse('unauthorized', 'unauthorized', { code: 'E_UNAUTHORIZED' });
    const role = roleOf(socket);
    if (role === null) return refuse('invalid role', 'invalid role', { code: 'E_INVALID_PAYLOAD', field: 'role' });
    const rawId = (socket.handshake.auth as Record<string, unknown> | undefined)?.clientId;
    const clientId = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= 200 ? rawId : null;
    const member = { socketId: socket.id, clientId, address };
    const held = this.lease.current();
    const admitted = role === 'controller' ? this.lease.admitController(member) : this.lease.admitObserver(member);
    if (!admitted.ok) {
      const { controller, observers, limit } = admitted;
      return refuse('busy', 'busy', limit === undefined ? { code: 'E_BUSY', controller } : { code: 'E_BUSY', controller, observers, limit });
    }
    if (admitted.change?.reason === 'replaced' && held) {
      this.log.info({ channel: EVENTS_CHANNEL, event: 'client_replaced', old: held.socketId, new: socket.id }, 'same clientId: replacing the stale connection');
      this.evict(held.socketId);
    }
    if (admitted.change) this.onChange(admitted.change);
    next();
  };
}
