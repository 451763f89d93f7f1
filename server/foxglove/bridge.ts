/**
 * The Foxglove WebSocket endpoint (`foxglove.websocket.v1`, docs/FOXGLOVE.md): a `ws`
 * server on its own port running @foxglove/ws-protocol's FoxgloveServer. Clients need the
 * broker's token (`?token=` in the URL, or `Authorization: Bearer`). They are observers:
 * every channel of the session tap (channels.ts), and the project's methods as services
 * (services.ts) which they may call only when `mayControl` allows it; a call then takes
 * the controller's own `process` path (process-port.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebSocket, WebSocketServer as WsServer } from 'ws';
import { requireCjs } from '../../ipc/cjs.js';
import type { Ack, MonitorAck, StartResult } from '../../ipc/protocol.js';
import { tokenMatches } from '../client-gate.js';
import { EVENTS_CHANNEL, type Logger } from '../logger.js';
import { bearerOrQueryToken } from '../observability/http-auth.js';
import { TOPICS, type SessionTap, type TapRecord } from '../recording/tap.js';
import { ChannelTable, type ChannelInfo } from './channels.js';
import { FoxgloveServer, ServerCapability, StatusLevel, type ServiceCallRequest } from './foxglove-server.js';
import { CLIENT_BUFFER_LIMIT, FoxgloveSocket, type FoxgloveClientInfo } from './foxglove-socket.js';
import type { ProcessCall } from './process-port.js';
import { ServiceTable } from './services.js';

const { WebSocketServer } = requireCjs('ws') as typeof import('ws');

export const SUBPROTOCOL = 'foxglove.websocket.v1';
/** Largest message a client may send (a service request), bytes. */
const MAX_CLIENT_MESSAGE = 1024 * 1024;

/** May this client call the robot's methods? One function: issue #13 makes it "holds the control lease". */
export type ControlPolicy = (client: FoxgloveClientInfo) => boolean;

export interface FoxgloveOptions {
  host: string;
  port: number;
  token: string;
  tap: SessionTap;
  log: Logger;
  mayControl: ControlPolicy;
  /** A `process` call for this client through the broker's command path. */
  processFor(client: FoxgloveClientInfo): ProcessCall;
  /** The loaded project's objects (asked after an update, which has loaded it already). */
  listProject(): Promise<StartResult>;
  onAuthFailure(address: string, reason: 'missing token' | 'wrong token'): void;
}

/** The endpoint's figures, in `/stats` as `foxglove`. */
export interface FoxgloveStats {
  url: string;
  clients: number;
  channels: number;
  services: number;
  /** Messages dropped for clients that read too slowly. */
  dropped: number;
  /** Messages of event names past the channel limit. */
  unforwarded: number;
  calls: { ok: number; failed: number; refused: number };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FoxgloveBridge {
  readonly url: string;
  private readonly server = new FoxgloveServer({ name: 'robot-control', capabilities: [ServerCapability.services], supportedEncodings: ['json'] });
  private readonly channelTable = new ChannelTable(this.server);
  private readonly services = new ServiceTable(this.server);
  private readonly sockets = new Map<FoxgloveSocket, ProcessCall>();
  private readonly calls = { ok: 0, failed: 0, refused: 0 };
  private droppedByGone = 0;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly wss: WsServer,
    private readonly o: FoxgloveOptions,
  ) {
    const { port } = wss.address() as AddressInfo;
    const shown = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
    this.url = `ws://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
    wss.on('connection', (ws, req) => this.onConnection(ws, req));
    wss.on('error', (err) => o.log.error({ err }, 'foxglove endpoint error'));
    this.server.on('serviceCallRequest', (request, connection) => void this.serve(request, connection as FoxgloveSocket));
    // A malformed client message: the library drops it and says why; the connection stays.
    this.server.on('error', (err) => o.log.warn({ event: 'foxglove_bad_message', err: err.message }, 'foxglove: bad client message'));
    this.unsubscribe = o.tap.subscribe(this.onRecord);
  }

  static async start(o: FoxgloveOptions): Promise<FoxgloveBridge> {
    const wss = new WebSocketServer({
      host: o.host,
      port: o.port,
      maxPayload: MAX_CLIENT_MESSAGE,
      perMessageDeflate: false,
      verifyClient: (info, cb) => verify(info.req, o, cb),
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'EADDRINUSE' ? `foxglove.port ${o.port} on ${o.host} is in use (foxglove_bridge uses 8765 too)` : `foxglove endpoint: ${err.message}`)),
      );
    });
    const bridge = new FoxgloveBridge(wss, o);
    o.log.info({ url: bridge.url }, 'foxglove endpoint listening');
    return bridge;
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }

  channels(): ChannelInfo[] {
    return this.channelTable.list();
  }

  stats(): FoxgloveStats {
    let dropped = this.droppedByGone;
    for (const s of this.sockets.keys()) dropped += s.dropped;
    return {
      url: this.url,
      clients: this.sockets.size,
      channels: this.channelTable.list().length,
      services: this.services.names().length,
      dropped,
      unforwarded: this.channelTable.unforwarded,
      calls: { ...this.calls },
    };
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const s of this.sockets.keys()) s.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private readonly onRecord = (r: TapRecord): void => {
    if (r.topic === TOPICS.ack) this.noteAck(r.data as MonitorAck);
    this.channelTable.publish(r, this.sockets.size > 0);
  };

  /** A started project lists its methods; an updated one replaces the robot's channels and services. */
  private noteAck(a: MonitorAck): void {
    if (a.status !== 'success') return;
    if (a.command === 'start') this.services.setProject(a.data as StartResult);
    if (a.command === 'update') {
      this.channelTable.removeRobotChannels();
      this.services.clear();
      this.o
        .listProject()
        .then((p) => this.services.setProject(p))
        .catch((err: unknown) => this.o.log.warn({ err }, 'foxglove: could not list the updated project'));
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const client: FoxgloveClientInfo = { id: `foxglove:${address}:${req.socket.remotePort ?? 0}`, address };
    const socket = new FoxgloveSocket(ws, client, CLIENT_BUFFER_LIMIT, (s, n) =>
      this.server.sendStatus({ level: StatusLevel.WARNING, message: `${n} messages dropped: this connection reads slower than the robot pushes` }, s),
    );
    this.sockets.set(socket, this.o.processFor(client));
    this.o.log.info({ channel: EVENTS_CHANNEL, event: 'foxglove_connected', client: client.id, address }, 'foxglove client connected');
    ws.on('close', () => {
      this.sockets.delete(socket);
      this.droppedByGone += socket.dropped;
      this.o.log.info({ channel: EVENTS_CHANNEL, event: 'foxglove_disconnected', client: client.id, dropped: socket.dropped }, 'foxglove client disconnected');
    });
    ws.on('error', (err) => this.o.log.debug({ err, client: client.id }, 'foxglove socket error'));
    this.server.handleConnection(socket, client.id);
  }

  /** A service call: a `process` of `object.method` with the request as its args, when the policy allows. */
  private async serve(req: ServiceCallRequest, socket: FoxgloveSocket): Promise<void> {
    const fail = (code: string, message: string, count: 'failed' | 'refused' = 'failed') => {
      this.calls[count]++;
      this.server.sendServiceCallFailure({ op: 'serviceCallFailure', serviceId: req.serviceId, callId: req.callId, message: `${code}: ${message}` }, socket);
    };
    const target = this.services.target(req.serviceId);
    const call = this.sockets.get(socket);
    if (!target || !call) return fail('E_UNKNOWN_METHOD', 'no such service (the project changed)');
    if (req.encoding !== 'json') return fail('E_INVALID_PAYLOAD', `encoding: expected "json", got "${String(req.encoding).slice(0, 50)}"`);
    if (!this.o.mayControl(socket.client)) {
      this.o.log.warn({ channel: EVENTS_CHANNEL, event: 'foxglove_call_refused', client: socket.client.id, object: target.object, method: target.method }, 'foxglove: service call refused (observer)');
      return fail('E_NOT_CONTROLLER', 'Foxglove clients observe; calling methods needs foxglove.allow_calls: true', 'refused');
    }
    let args: unknown;
    const text = decoder.decode(req.data).trim();
    if (text) {
      try {
        args = JSON.parse(text);
      } catch {
        return fail('E_INVALID_PAYLOAD', 'the request is not JSON: send the args as a JSON object or array');
      }
    }
    const ack: Ack = await call({ params: { object: target.object, method: target.method, ...(args === undefined || args === null ? {} : { args }) } });
    if (ack.status !== 'success') return fail(ack.data.code, ack.message);
    this.calls.ok++;
    this.server.sendServiceCallResponse({ serviceId: req.serviceId, callId: req.callId, encoding: 'json', data: encoder.encode(JSON.stringify(ack.data) ?? 'null') }, socket);
  }
}

/** The handshake: the broker's token, and the Foxglove subprotocol. A refusal is an auth failure like on every surface. */
function verify(req: IncomingMessage, o: FoxgloveOptions, cb: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void): void {
  const given = bearerOrQueryToken(req.headers.authorization, new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('token'));
  if (given === undefined || !tokenMatches(given, o.token)) {
    o.onAuthFailure(req.socket.remoteAddress ?? 'unknown', given === undefined ? 'missing token' : 'wrong token');
    cb(false, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="robot-control"' });
    return;
  }
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(SUBPROTOCOL)) {
    cb(false, 400, `the ${SUBPROTOCOL} subprotocol is required`);
    return;
  }
  cb(true);
}
