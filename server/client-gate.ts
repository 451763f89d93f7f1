/**
 * Who may connect: a valid token, and one controlling client at a time (the seed's
 * rule). A client reconnecting with the same `auth.clientId` as the holder replaces
 * its own stale connection instead of waiting for the ping timeout. The check and
 * the claim happen in one synchronous step, so a connect storm admits exactly one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { BrokerEvents } from './broker-events.js';
import { EVENTS_CHANNEL, type Logger } from './logger.js';

export interface Holder {
  socketId: string;
  clientId: string | null;
  since: number;
  address: string;
}

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

export class ClientGate {
  private holder: Holder | null = null;

  constructor(
    private readonly token: string,
    private readonly log: Logger,
    /** Disconnect the socket with this id (the stale connection being replaced). */
    private readonly evict: (socketId: string) => void,
    private readonly events: BrokerEvents,
  ) {}

  current(): Holder | null {
    return this.holder;
  }

  /** Socket.IO middleware: admit, or refuse with "unauthorized" / "busy". */
  readonly middleware = (socket: Socket, next: (err?: Error) => void): void => {
    const address = socket.handshake.address;
    if (!tokenMatches(tokenOf(socket), this.token)) {
      this.events.emit('client', { state: 'refused', at: Date.now(), address, reason: 'unauthorized' });
      next(new Error('unauthorized'));
      return;
    }
    const rawId = (socket.handshake.auth as Record<string, unknown> | undefined)?.clientId;
    const clientId = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= 200 ? rawId : null;
    const held = this.holder;
    if (held && !(clientId && held.clientId === clientId)) {
      this.events.emit('client', { state: 'refused', at: Date.now(), address, reason: 'busy' });
      next(new Error('busy'));
      return;
    }
    this.holder = { socketId: socket.id, clientId, since: Date.now(), address };
    if (held) {
      this.log.info({ channel: EVENTS_CHANNEL, event: 'client_replaced', old: held.socketId, new: socket.id }, 'same clientId: replacing the stale connection');
      this.evict(held.socketId);
    }
    next();
  };

  /** The socket left. True when it was the holder (and the robot should be stopped). */
  release(socketId: string): boolean {
    if (this.holder?.socketId !== socketId) return false;
    this.holder = null;
    return true;
  }
}
