/**
 * The Socket.IO server, attached to the HTTP server fastify made. engine.io takes
 * every request under `/socket.io/` (and every upgrade) before fastify sees it, and
 * hands the rest on; fastify never answers those paths. What a peer may cost before
 * it has shown a token is bounded here:
 *  - a handshake from a foreign `Origin` is refused (origin.ts);
 *  - a message may be PRE_AUTH_FRAME_LIMIT bytes until the main namespace admits the
 *    client, then the full transport limit (frame-limit.ts);
 *  - one address may hold `maxPendingPerAddress` connections that have joined no
 *    namespace yet; its next handshake is refused (HTTP 403, E_TOO_MANY_PENDING). Each
 *    costs only a few KiB, but a fast machine's strangers open hundreds a second;
 *  - a connection that has joined no namespace within `authTimeoutMs` is closed and
 *    forgotten at once (Unadmitted). Socket.IO's own `connectTimeout` closes it
 *    politely: a polling session then waits for a GET that a stranger never sends and
 *    stays in engine.io's table for 30 s more (measured: ~4,800 sessions, 33 MB of heap
 *    after 10 s of 8 strangers reconnecting).
 */
import type { Server as HttpServer } from 'node:http';
import type { Namespace, Server as SocketIoServer, Socket } from 'socket.io';
import { requireCjs } from '../../ipc/cjs.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../ipc/protocol.js';
import type { Logger } from '../logger.js';
import { depthLimitedParser } from '../socket-parser.js';
import { admitLargeFrames, PRE_AUTH_FRAME_LIMIT } from './frame-limit.js';
import { batchWrites } from './write-batch.js';
import { originPolicy } from './origin.js';

const { Server } = requireCjs('socket.io') as typeof import('socket.io');

export type SocketServer = SocketIoServer<ClientToServerEvents, ServerToClientEvents>;

export interface SocketServerOptions {
  /** `websocket.max_message_size`: the largest decoded upload, bytes. */
  maxMessageSize: number;
  /** `websocket.max_payload_depth`: deeper payloads are refused by the parser. */
  maxPayloadDepth: number;
  authTimeoutMs: number;
  /** `websocket.max_pending_per_address`: connections one address may have open before it shows a token. */
  maxPendingPerAddress: number;
  allowedOrigins: readonly string[];
  log: Logger;
  /** A handshake refused for its Origin (a security event). */
  onOriginRefused: (address: string, origin: string) => void;
  /** A handshake refused: its address holds maxPendingPerAddress unadmitted connections already. */
  onPendingRefused: (address: string) => void;
}

/** Socket.IO frames carry base64 uploads at 4/3 of their size; the handler checks the decoded size. */
export function transportLimit(maxMessageSize: number): number {
  return Math.ceil((maxMessageSize * 4) / 3) + 64 * 1024;
}

export function createSocketServer(http: HttpServer, o: SocketServerOptions): SocketServer {
  const fullLimit = transportLimit(o.maxMessageSize);
  const verdict = originPolicy(o.allowedOrigins);
  const unadmitted = new Unadmitted(o.authTimeoutMs);
  const io: SocketServer = new Server(http, {
    serveClient: false,
    parser: depthLimitedParser(o.maxPayloadDepth),
    transports: ['polling', 'websocket'],
    maxHttpBufferSize: Math.min(PRE_AUTH_FRAME_LIMIT, fullLimit),
    // A backstop only: Unadmitted acts first.
    connectTimeout: o.authTimeoutMs + 1000,
    allowRequest: (req, answer) => {
      const address = req.socket.remoteAddress ?? 'unknown';
      const v = verdict(req);
      if (!v.allowed) {
        o.onOriginRefused(address, v.origin);
        return answer('origin not allowed', false);
      }
      // A handshake (no session id yet) opens a new connection; a session's later requests do not.
      if (!/[?&]sid=/.test(req.url ?? '') && unadmitted.count(address) >= o.maxPendingPerAddress) {
        o.onPendingRefused(address);
        return answer(`E_TOO_MANY_PENDING: ${o.maxPendingPerAddress} connections from ${address} have not shown a token yet (websocket.max_pending_per_address)`, false);
      }
      answer(null, true);
    },
  });
  // First listener of the main namespace: it runs after the client gate admitted the
  // socket and in the same tick as the CONNECT answer, before the client can send more.
  io.on('connection', (socket) =>
    admitLargeFrames(socket.conn, fullLimit, (transport) =>
      o.log.error({ transport }, 'cannot raise the frame limit of this transport (engine.io internals changed?): large uploads will fail'),
    ),
  );
  // Every connection, whichever namespaces it joins (/, /monitor): its bursts in one write each.
  io.engine.on('connection', batchWrites);
  unadmitted.watch(io);
  return io;
}

type Conn = Socket['conn'];

/**
 * The connections that have joined no namespace yet, by address. Each is closed, its
 * transport discarded, `ms` after it opened unless it joined one by then.
 */
class Unadmitted {
  private readonly byAddress = new Map<string, Set<Conn>>();

  constructor(private readonly ms: number) {}

  count(address: string): number {
    return this.byAddress.get(address)?.size ?? 0;
  }

  watch(io: SocketServer): void {
    const onJoin = (nsp: Namespace): void => void nsp.on('connection', (socket: Socket) => this.forget(socket.conn));
    onJoin(io.of('/'));
    io.on('new_namespace', onJoin);
    io.engine.on('connection', (conn: Conn) => {
      const address = conn.remoteAddress;
      const set = this.byAddress.get(address) ?? new Set<Conn>();
      this.byAddress.set(address, set.add(conn));
      const timer = setTimeout(() => {
        if (this.forget(conn)) conn.close(true);
      }, this.ms);
      conn.once('close', () => {
        clearTimeout(timer);
        this.forget(conn);
      });
    });
  }

  /** No longer unadmitted (it joined, or it closed): true when it was. */
  private forget(conn: Conn): boolean {
    const set = this.byAddress.get(conn.remoteAddress);
    if (!set?.delete(conn)) return false;
    if (set.size === 0) this.byAddress.delete(conn.remoteAddress);
    return true;
  }
}
