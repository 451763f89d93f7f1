/**
 * The broker assembled: HTTP + Socket.IO in front, the supervised worker behind
 * ZeroMQ. `startBroker` is what `npm start` runs and what the tests start on port 0.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { prepareBind, removeEndpointFile } from '../ipc/endpoint.js';
import { EventSubscriber } from '../ipc/subscriber.js';
import { RpcRouter } from '../ipc/rpc-router.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../ipc/protocol.js';
import { ClientGate } from './client-gate.js';
import { Commands, type ClientSocket } from './commands.js';
import type { Config } from './config.js';
import { router, staticFiles, type Route } from './http.js';
import { BrokerEvents } from './broker-events.js';
import type { FoxgloveBridge } from './foxglove/bridge.js';
import { processPort } from './foxglove/process-port.js';
import { installObservability } from './observability/index.js';
import { authorize } from './observability/http-auth.js';
import { installRecording } from './recording/index.js';
import type { Recorder } from './recording/recorder.js';
import { SessionTap } from './recording/tap.js';
import { createLogger, flushLogger, type Logger } from './logger.js';
import { paths } from './paths.js';
import { PushRelay } from './push-relay.js';
import { Supervisor } from './supervisor.js';

export interface Broker {
  /** Where the panel is, without the token. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly log: Logger;
  readonly supervisor: Supervisor;
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  /** What happens in the broker (observability, recording and Foxglove listen here). */
  readonly events: BrokerEvents;
  /** MCAP recording of the session (recording.*). */
  readonly recorder: Recorder;
  /** The Foxglove WebSocket endpoint, when foxglove.enabled. */
  readonly foxglove: FoxgloveBridge | null;
  close(): Promise<void>;
}

export interface BrokerOptions {
  /** Use this logger instead of making one from config.log. */
  logger?: Logger;
}

/** Socket.IO frames carry base64 uploads at 4/3 of their size; the handler checks the decoded size. */
function transportLimit(maxMessageSize: number): number {
  return Math.ceil((maxMessageSize * 4) / 3) + 64 * 1024;
}

export async function startBroker(config: Config, options: BrokerOptions = {}): Promise<Broker> {
  const log = options.logger ?? createLogger(config.log);
  const token = config.auth.token || randomBytes(24).toString('hex');
  const ms = (s: number) => Math.round(s * 1000);

  let supervisor: Supervisor | null = null;
  const rpc = new RpcRouter(
    (id, msg) => supervisor?.onWorkerReady(id, msg),
    (err) => log.error({ err }, 'command channel error'),
  );
  let io: Server<ClientToServerEvents, ServerToClientEvents> | null = null;
  const events = new BrokerEvents();
  // Recording and Foxglove read the session here; with both off it listens to nothing.
  const tap = new SessionTap(events);
  const gate = new ClientGate(token, log, (id) => io?.sockets.sockets.get(id)?.disconnect(true), events);
  const holder = (): ClientSocket | null => {
    const h = gate.current();
    return (h && io?.sockets.sockets.get(h.socketId)) || null;
  };
  const relay = new PushRelay(holder, () => supervisor?.currentGeneration ?? 0, config.websocket.max_client_backlog, log, events);
  const pushes = new EventSubscriber(
    (e) => relay.onEvent(e),
    (err) => log.error({ err }, 'event channel error'),
  );

  await prepareBind(config.ipc.command_socket);
  await prepareBind(config.ipc.callback_socket);
  await rpc.bind(config.ipc.command_socket);
  await pushes.bind(config.ipc.callback_socket);

  supervisor = new Supervisor(
    {
      script: paths.workerScript,
      worker: {
        storageDir: config.worker.storage_dir,
        defaultProjectDir: paths.defaultProject,
        commandEndpoint: config.ipc.command_socket,
        callbackEndpoint: config.ipc.callback_socket,
        maxUnpackedBytes: config.worker.max_unpacked_bytes,
        maxZipEntries: config.worker.max_zip_entries,
        stopTimeoutMs: ms(config.worker.stop_timeout),
        pythonPath: config.worker.python,
        maxMemoryMb: config.worker.max_memory_mb,
        heartbeatIntervalMs: ms(config.worker.heartbeat_interval),
        heartbeatTimeoutMs: ms(config.worker.heartbeat_timeout),
        logLevel: config.log.level,
      },
      maxMemoryMb: config.worker.max_memory_mb,
      startTimeoutMs: ms(config.worker.start_timeout),
      stopTimeoutMs: ms(config.worker.stop_timeout),
      heartbeatIntervalMs: ms(config.worker.heartbeat_interval),
      heartbeatTimeoutMs: ms(config.worker.heartbeat_timeout),
      policy: { limit: config.worker.restart_limit, stableMs: ms(config.worker.stable_after) },
      workerLog: log,
      standby: config.worker.standby,
    },
    rpc,
    log.child({ module: 'supervisor' }),
  );
  const sup = supervisor;
  const commands = new Commands(
    sup,
    {
      maxMessageSize: config.websocket.max_message_size,
      callTimeoutMs: ms(config.worker.max_execution_time),
      loadTimeoutMs: ms(config.worker.start_timeout),
      updateTimeoutMs: Math.max(ms(config.worker.max_execution_time), 120_000),
    },
    log.child({ module: 'commands' }),
    events,
  );

  /** HTTP routes; observability adds /health, /stats and /metrics. */
  const routes: Record<string, Route> = {};
  const http: HttpServer = createServer(router(routes, staticFiles(paths.panel)));
  io = new Server<ClientToServerEvents, ServerToClientEvents>(http, {
    maxHttpBufferSize: transportLimit(config.websocket.max_message_size),
    serveClient: false,
  });
  io.use(gate.middleware);
  const observability = installObservability({ config, token, log, events, supervisor: sup, gate, relay, io, routes, startedAt: Date.now() });
  const recording = await installRecording({
    config,
    tap,
    log,
    routes,
    authorize: (req, res, url) => authorize(req, res, url, 'recordings', [token], observability.authFailed),
  }).catch(async (err: unknown) => {
    rpc.close();
    pushes.close();
    await observability.close();
    throw err;
  });
  observability.stats.addSection('recording', () => recording.recorder.status());
  io.on('connection', (socket) => {
    const address = socket.handshake.address;
    events.emit('client', { state: 'connected', at: Date.now(), address });
    relay.clientChanged();
    commands.attach(socket);
    recording.attach(socket);
    socket.emit('worker_status', sup.status());
    socket.on('disconnect', (reason) => {
      const wasHolder = gate.release(socket.id);
      events.emit('client', { state: 'disconnected', at: Date.now(), address, reason });
      if (!wasHolder || sup.status().state !== 'ready') return;
      // The robot must not keep moving with nobody at the controls; the project stays loaded.
      sup
        .call('stop_hooks', {}, { timeoutMs: ms(config.worker.stop_timeout) + 1000 })
        .then((r) => log.info({ stopped: r.stopped }, 'stop hooks ran'))
        .catch((err: unknown) => log.warn({ err }, 'stop hooks failed'));
    });
  });
  sup.on('status', (status) => {
    holder()?.emit('worker_status', status);
    events.emit('worker_status', status);
  });

  let foxglove: FoxgloveBridge | null = null;
  try {
    await sup.start();
    if (config.foxglove.enabled) {
      // Loaded only when enabled: a broker that serves no Foxglove client never loads @foxglove/ws-protocol.
      const { FoxgloveBridge } = await import('./foxglove/bridge.js');
      foxglove = await FoxgloveBridge.start({
        host: config.foxglove.host,
        port: config.foxglove.port,
        token,
        tap,
        log: log.child({ module: 'foxglove' }),
        // Observers unless the config says otherwise; issue #13 makes this "holds the control lease".
        mayControl: () => config.foxglove.allow_calls,
        processFor: (client) => processPort(commands, client.id),
        listProject: () => sup.call('start', {}, { timeoutMs: ms(config.worker.max_execution_time) }),
        onAuthFailure: (address, reason) => observability.authFailed('foxglove', address, reason),
      });
      const bridge = foxglove;
      observability.stats.addSection('foxglove', () => bridge.stats());
    }
  } catch (err) {
    await sup.stop();
    rpc.close();
    pushes.close();
    await recording.close();
    await observability.close();
    throw err;
  }
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.websocket.port, config.websocket.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = config.websocket.host === '0.0.0.0' || config.websocket.host === '::' ? '127.0.0.1' : config.websocket.host;
  const url = `http://${shownHost}:${port}/`;
  log.info({ url, worker: sup.status().pid }, 'broker listening');

  let closing: Promise<void> | null = null;
  const broker: Broker = {
    url,
    port,
    token,
    log,
    supervisor: sup,
    io,
    events,
    recorder: recording.recorder,
    foxglove,
    close: () =>
      (closing ??= (async () => {
        log.info('broker stopping');
        io?.disconnectSockets(true);
        await foxglove?.close();
        await new Promise<void>((r) => io!.close(() => r()));
        await sup.stop();
        rpc.close();
        pushes.close();
        relay.close();
        // After the worker stopped: its last status is in the file.
        await recording.close();
        await observability.close();
        removeEndpointFile(config.ipc.command_socket);
        removeEndpointFile(config.ipc.callback_socket);
        log.info('broker stopped');
        if (!options.logger) await flushLogger(log);
      })()),
  };
  return broker;
}
