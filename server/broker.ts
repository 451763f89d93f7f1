/**
 * The broker assembled: HTTP + Socket.IO in front, the supervised worker behind
 * ZeroMQ. `startBroker` is what `npm start` runs and what the tests start on port 0.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'socket.io';
import { prepareBind, removeEndpointFile } from '../ipc/endpoint.js';
import { withDeadline } from '../ipc/promises.js';
import { EventSubscriber } from '../ipc/subscriber.js';
import { RpcRouter } from '../ipc/rpc-router.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../ipc/protocol.js';
import { ClientGate } from './client-gate.js';
import { Commands } from './commands.js';
import { ControlHub } from './control/control-hub.js';
import { workerConfigOf, type Config } from './config.js';
import { createHttpApp, listen } from './http/app.js';
import { createSocketServer } from './http/socket-server.js';
import { BrokerEvents } from './broker-events.js';
import type { FoxgloveBridge } from './foxglove/bridge.js';
import { processPort } from './foxglove/process-port.js';
import { installObservability, type Observability } from './observability/index.js';
import { authorize } from './observability/http-auth.js';
import { installRecording } from './recording/index.js';
import type { Recorder } from './recording/recorder.js';
import { SessionTap } from './recording/tap.js';
import { holdIdleTrim } from './idle-trim.js';
import { closeLogger, createLogger, type Logger } from './logger.js';
import { brokerUrl } from './panel-url.js';
import { paths } from './paths.js';
import { PushRelay } from './push/relay.js';
import { IpcRejections } from './sandbox/rejections.js';
import { WorkerSandbox } from './sandbox/sandbox.js';
import { Supervisor } from './supervisor.js';

export interface Broker {
  /** Where the panel is, without the token. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly log: Logger;
  readonly supervisor: Supervisor;
  /** What robot code runs in: `bwrap` or `none` (with the warning the banner and /health show). */
  readonly sandbox: { mode: WorkerSandbox['mode']; warning: string | null; visible: string[] };
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

/** How long stop waits for client connections to close before it goes on without them. */
const IO_CLOSE_WAIT_MS = 1000;

export async function startBroker(config: Config, options: BrokerOptions = {}): Promise<Broker> {
  const log = options.logger ?? createLogger(config.log);
  const token = config.auth.token || randomBytes(24).toString('hex');
  const ms = (s: number) => Math.round(s * 1000);

  let supervisor: Supervisor | null = null;
  const events = new BrokerEvents();
  // Recording and Foxglove read the session here; with both off it listens to nothing.
  const tap = new SessionTap(events);
  const rejections = new IpcRejections(log, events);
  const rpc = new RpcRouter({
    onReady: (id, msg) => supervisor?.onWorkerReady(id, msg) ?? false,
    onReject: rejections.note,
    onError: (err) => log.error({ err }, 'command channel error'),
    maxInFlight: config.worker.max_in_flight,
  });
  let io: Server<ClientToServerEvents, ServerToClientEvents> | null = null;
  let control: ControlHub | null = null;
  const gate = new ClientGate(token, log, (id) => io?.sockets.sockets.get(id)?.disconnect(true), events, config.websocket.max_observers, (change) =>
    control?.admitted(change),
  );
  // Pushes, robot output and worker states go to every client: the controller and the observers.
  const relay = new PushRelay(
    () => io?.sockets ?? null,
    () => supervisor?.currentGeneration ?? 0,
    config.websocket.max_client_backlog,
    config.websocket.controller_hold * 1000,
    { maxEvents: config.replay.max_events, maxBytes: config.replay.max_bytes, maxAgeMs: ms(config.replay.max_age) },
    log,
    events,
    rejections.note,
  );
  const pushes = new EventSubscriber(
    (e, bytes) => relay.onEvent(e, bytes),
    rejections.note,
    (err) => log.error({ err }, 'event channel error'),
    () => relay.holdIntake(),
  );
  const sandbox = await WorkerSandbox.create({
    config,
    secrets: [token, config.metrics.token],
    onRobotLog: (line) => {
      io?.emit('robot_log', line);
      events.emit('robot_log', line);
    },
    packageRoot: paths.root,
    defaultProject: paths.defaultProject,
  });
  if (sandbox.warning) log.warn({ sandbox: sandbox.mode }, sandbox.warning);
  else log.info({ sandbox: sandbox.mode }, 'robot code runs sandboxed');
  if (sandbox.visible.length) log.warn({ visible: sandbox.visible }, 'these folders cannot be hidden from robot code: give the config and logs folders of their own');

  await prepareBind(config.ipc.command_socket);
  await prepareBind(config.ipc.callback_socket);
  await rpc.bind(config.ipc.command_socket);
  await pushes.bind(config.ipc.callback_socket);

  supervisor = new Supervisor(
    {
      script: paths.workerScript,
      worker: workerConfigOf(config),
      storage: {
        dir: config.worker.storage_dir,
        defaultProjectDir: paths.defaultProject,
        limits: { maxUnpackedBytes: config.worker.max_unpacked_bytes, maxEntries: config.worker.max_zip_entries },
      },
      maxMemoryMb: config.worker.max_memory_mb,
      startTimeoutMs: ms(config.worker.start_timeout),
      stopTimeoutMs: ms(config.worker.stop_timeout),
      heartbeatIntervalMs: ms(config.worker.heartbeat_interval),
      heartbeatTimeoutMs: ms(config.worker.heartbeat_timeout),
      policy: { limit: config.worker.restart_limit, stableMs: ms(config.worker.stable_after) },
      workerLog: log,
      standby: config.worker.standby,
      standbyQuietMs: ms(config.worker.standby_quiet),
      sandbox,
    },
    rpc,
    log.child({ module: 'supervisor' }),
  );
  const sup = supervisor;
  const commands = new Commands(
    sup,
    {
      maxMessageSize: config.websocket.max_message_size,
      maxPayloadDepth: config.websocket.max_payload_depth,
      maxInFlight: config.worker.max_in_flight,
      callTimeoutMs: ms(config.worker.max_execution_time),
      loadTimeoutMs: ms(config.worker.start_timeout),
      updateTimeoutMs: Math.max(ms(config.worker.max_execution_time), 120_000),
    },
    log.child({ module: 'commands' }),
    events,
  );

  /** HTTP (fastify: the panel; observability adds /health, /stats and /metrics) with Socket.IO on its server. */
  const http = await createHttpApp({ panelDir: paths.panel, log });
  let observability: Observability | null = null;
  io = createSocketServer(http.server, {
    maxMessageSize: config.websocket.max_message_size,
    maxPayloadDepth: config.websocket.max_payload_depth,
    authTimeoutMs: ms(config.websocket.auth_timeout),
    maxPendingPerAddress: config.websocket.max_pending_per_address,
    allowedOrigins: config.websocket.allowed_origins,
    log,
    onOriginRefused: (address, origin) => observability?.authFailed('origin', address, `origin ${origin} is not allowed`),
    onPendingRefused: (address) => observability?.authFailed('pending', address, `${config.websocket.max_pending_per_address} connections without a token already (E_TOO_MANY_PENDING)`),
  });
  io.use(gate.middleware);
  const nsp = io.sockets;
  const hub = (control = new ControlHub({
    lease: gate.lease,
    supervisor: sup,
    clients: () => nsp.sockets.values(),
    events,
    log: log.child({ module: 'control' }),
    stopTimeoutMs: ms(config.worker.stop_timeout),
  }));
  const obs = (observability = installObservability({ config, token, log, events, supervisor: sup, gate, relay, io, http, startedAt: Date.now(), sandbox }));
  const recording = await installRecording({
    config,
    tap,
    log,
    http,
    authorize: (req, reply) => authorize(req, reply, 'recordings', [token], obs.authFailed),
  }).catch(async (err: unknown) => {
    rpc.close();
    pushes.close();
    await obs.close();
    throw err;
  });
  obs.stats.addSection('recording', () => recording.recorder.status());
  io.on('connection', (socket) => {
    const address = socket.handshake.address;
    events.emit('client', { state: 'connected', at: Date.now(), address });
    sup.inUse(); // an operator arriving: the spares come back now if the broker was quiet
    commands.attach(socket, () => (gate.lease.isController(socket.id) ? null : { controller: gate.lease.stateFor(socket.id).controller }));
    recording.attach(socket);
    socket.emit('worker_status', sup.status());
    hub.attach(socket);
    // Last: a reconnecting client's replay comes after the state it needs to read it.
    relay.attach(socket, () => gate.lease.isController(socket.id));
    socket.on('disconnect', (reason) => {
      relay.forget(socket.id);
      events.emit('client', { state: 'disconnected', at: Date.now(), address, reason });
      // The deadman: a controller that leaves stops the robot (control-hub.ts); an observer stops nothing.
      hub.detach(socket);
    });
  });
  sup.on('status', (status) => {
    io?.emit('worker_status', status);
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
        onAuthFailure: (address, reason) => obs.authFailed('foxglove', address, reason),
      });
      const bridge = foxglove;
      obs.stats.addSection('foxglove', () => bridge.stats());
    }
  } catch (err) {
    await sup.stop();
    rpc.close();
    pushes.close();
    await recording.close();
    await obs.close();
    throw err;
  }
  const server = await listen(http, config.websocket.port, config.websocket.host);
  const port = (server.address() as AddressInfo).port;
  const url = brokerUrl(config.websocket.host, port);
  log.info({ url, worker: sup.status().pid }, 'broker listening');
  const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
  const releaseTrim = holdIdleTrim((before, after) => log.debug({ youngMb: mb(before), youngMbAfter: mb(after), rssMb: mb(process.memoryUsage.rss()) }, 'quiet: memory given back'));

  let closing: Promise<void> | null = null;
  const broker: Broker = {
    url,
    port,
    token,
    log,
    supervisor: sup,
    sandbox: { mode: sandbox.mode, warning: sandbox.warning, visible: sandbox.visible },
    io,
    events,
    recorder: recording.recorder,
    foxglove,
    close: () =>
      (closing ??= (async () => {
        log.info('broker stopping');
        releaseTrim();
        io?.disconnectSockets(true);
        await foxglove?.close();
        // io.close() closes engine.io and the HTTP server it is attached to; fastify then only runs its onClose hooks.
        const ioClosed = new Promise<void>((r) => io!.close(() => r())).then(() => http.close());
        // The workers first: a client whose link died can hold io.close() for the WebSocket close timeout (30 s).
        await sup.stop();
        await withDeadline(ioClosed, IO_CLOSE_WAIT_MS, () => new Error('timeout')).catch(() => log.warn(`connections still open after ${IO_CLOSE_WAIT_MS} ms: left to close with the process`));
        rpc.close();
        pushes.close();
        relay.close();
        // After the worker stopped: its last status is in the file.
        await recording.close();
        await obs.close();
        removeEndpointFile(config.ipc.command_socket);
        removeEndpointFile(config.ipc.callback_socket);
        log.info('broker stopped');
        if (!options.logger) await closeLogger(log);
      })()),
  };
  return broker;
}
