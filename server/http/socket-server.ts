/**
 * The Socket.IO server, attached to the HTTP server fastify made. engine.io takes
 * every request under `/socket.io/` (and every upgrade) before fastify sees it, and
 * hands the rest on; fastify never answers those paths. What a peer may cost before
 * it has shown a token is bounded here:
 *  - a handshake from a foreign `Origin` is refused (origin.ts);
 *  - a message may be PRE_AUTH_FRAME_LIMIT bytes until the main namespace admits the
 *    client, then the full transport limit (frame-limit.ts);
 *  - a connection that has joined no namespace within `authTimeoutMs` is closed and
 *    forgotten at once (closeUnadmitted). Socket.IO's own `connectTimeout` closes it
 *    politely: a polling session then waits for a GET that a stranger never sends and
 *    stays in engine.io's table for 30 s more (measured: ~4,800 sessions, 33 MB of heap
 *    after 10 s of 8 strangers reconnecting).
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../ipc/protocol.js';
import type { Logger } from '../logger.js';
import { depthLimitedParser } from '../socket-parser.js';
import { admitLargeFrames, PRE_AUTH_FRAME_LIMIT } from './frame-limit.js';
import { originPolicy } from './origin.js';

export type SocketServer = Server<ClientToServerEvents, ServerToClientEvents>;

export interface SocketServerOptions {
  /** `websocket.max_message_size`: the largest decoded upload, bytes. */
  maxMessageSize: number;
  /** `websocket.max_payload_depth`: deeper payloads are refused by the parser. */
  maxPayloadDepth: number;
  authTimeoutMs: number;
  allowedOrigins: readonly string[];
  log: Logger;
  /** A handshake refused for its Origin (a security event). */
  onOriginRefused: (address: string, origin: string) => void;
}

/** Socket.IO frames carry base64 uploads at 4/3 of their size; the handler checks the decoded size. */
export function transportLimit(maxMessageSize: number): number {
  return Math.ceil((maxMessageSize * 4) / 3) + 64 * 1024;
}

export function createSocketServer(http: HttpServer, o: SocketServerOptions): SocketServer {
  const fullLimit = transportLimit(o.maxMessageSize);
  const verdict = originPolicy(o.allowedOrigins);
  const io: SocketServer = new Server(http, {
    serveClient: false,
    parser: depthLimitedParser(o.maxPayloadDepth),
    transports: ['polling', 'websocket'],
    maxHttpBufferSize: Math.min(PRE_AUTH_FRAME_LIMIT, fullLimit),
    // A backstop only: closeUnadmitted acts first.
    connectTimeout: o.authTimeoutMs + 1000,
    allowRequest: (req, answer) => {
      const v = verdict(req);
      if (v.allowed) return answer(null, true);
      o.onOriginRefused(req.socket.remoteAddress ?? 'unknown', v.origin);
      answer('origin not allowed', false);
    },
  });
  // First listener of the main namespace: it runs after the client gate admitted the
  // socket and in the same tick as the CONNECT answer, before the client can send more.
  io.on('connection', (socket) =>
    admitLargeFrames(socket.conn, fullLimit, (transport) =>
      o.log.error({ transport }, 'cannot raise the frame limit of this transport (engine.io internals changed?): large uploads will fail'),
    ),
  );
  closeUnadmitted(io, o.authTimeoutMs);
  return io;
}

/** Close, discarding its transport, every connection that has joined no namespace `ms` after it opened. */
function closeUnadmitted(io: SocketServer, ms: number): void {
  const admitted = new WeakSet<Socket['conn']>();
  const watch = (nsp: Namespace): void => void nsp.on('connection', (socket: Socket) => admitted.add(socket.conn));
  watch(io.of('/'));
  io.on('new_namespace', watch);
  io.engine.on('connection', (conn: Socket['conn']) => {
    const timer = setTimeout(() => {
      if (!admitted.has(conn)) conn.close(true);
    }, ms);
    conn.once('close', () => clearTimeout(timer));
  });
}
