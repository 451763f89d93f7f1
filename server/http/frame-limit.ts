/**
 * Large frames only after the token. Every engine.io connection starts with the
 * small limit the Socket.IO server is built with (its `maxHttpBufferSize`,
 * PRE_AUTH_FRAME_LIMIT): a stranger can make the server hold at most that much per
 * message. Once the main namespace has admitted a client (valid token), its one
 * connection is raised to the full limit, so `update` (a project up to
 * `websocket.max_message_size`) works over either transport.
 *
 * engine.io has no per-connection limit, so this touches its internals (engine.io
 * 6.6, ws 8), each checked at run time; a shape that is not there is reported (the
 * connection then keeps the small limit: large uploads fail, nothing else does):
 *  - polling: `Polling#maxHttpBufferSize`, a plain field engine.io copies from its
 *    options at the handshake (server.js `handshake`) and compares each POST body's
 *    running length with (polling.js `onDataRequest`: 413 past it).
 *  - websocket: the ws `Receiver#_maxPayload` (receiver.js `haveLength`, checked on
 *    each frame header before its payload is buffered: close 1009 past it), set from
 *    the WebSocketServer's `maxPayload` (= maxHttpBufferSize) when the socket is set
 *    up. engine.io's WebSocket transport keeps the ws socket in `socket`, ws keeps
 *    the receiver in `_receiver`. permessage-deflate (off here) has its own copy.
 *  - upgrade (polling, then websocket, as browsers do): the new transport is made
 *    with the server's small limit; raised again on `upgrading` (the probe is done,
 *    before the client flushes anything over it) and on `upgrade`.
 */
import type { Socket } from 'socket.io';

type EngineConnection = Socket['conn'];

/**
 * Bytes one engine.io message may have before the token is checked: the CONNECT
 * packet with a token and a client id is far under 1 KiB.
 */
export const PRE_AUTH_FRAME_LIMIT = 64 * 1024;

interface PollingInternals {
  maxHttpBufferSize?: unknown;
}
interface WebSocketInternals {
  socket?: { _receiver?: { _maxPayload?: unknown }; _extensions?: Record<string, { _maxPayload?: unknown } | undefined> };
}

/** Raise one transport's limit; false when its internals are not where this file expects them. */
function raise(transport: { name: string }, limit: number): boolean {
  if (transport.name === 'polling') {
    const polling = transport as PollingInternals;
    if (typeof polling.maxHttpBufferSize !== 'number') return false;
    polling.maxHttpBufferSize = Math.max(polling.maxHttpBufferSize, limit);
    return true;
  }
  if (transport.name === 'websocket') {
    const ws = (transport as WebSocketInternals).socket;
    if (typeof ws?._receiver?._maxPayload !== 'number') return false;
    ws._receiver._maxPayload = limit;
    const deflate = ws._extensions?.['permessage-deflate'];
    if (typeof deflate?._maxPayload === 'number') deflate._maxPayload = limit;
    return true;
  }
  return false;
}

const raised = new WeakSet<EngineConnection>();

/**
 * Let this admitted connection carry messages up to `limit` bytes, on its current
 * transport and on any it upgrades to. `onUnsupported` hears of a transport whose
 * internals were not found.
 */
export function admitLargeFrames(conn: EngineConnection, limit: number, onUnsupported: (transport: string) => void): void {
  if (raised.has(conn)) return;
  raised.add(conn);
  const apply = (transport: { name: string }): void => {
    if (!raise(transport, limit)) onUnsupported(transport.name);
  };
  apply(conn.transport);
  conn.on('upgrading', apply);
  conn.on('upgrade', apply);
}
