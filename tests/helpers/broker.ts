/**
 * Start a real broker for a test: port 0 on 127.0.0.1, ZeroMQ on ipc:// in a temp
 * folder, a temp storage folder, JSON logs to a temp file. Tests import the
 * compiled broker (dist/), so they test what ships.
 */
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { io as connectIo, type Socket } from 'socket.io-client';
import { parseConfig, type Config, type ConfigInput } from '../../dist/server/config.js';
import type { Broker } from '../../dist/server/broker.js';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../../dist/ipc/protocol.js';
import { unwatchLog, watchLog } from './failure-logs.js';
import { tempDir } from './temp-dirs.js';

export { tempDir };

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestBroker {
  broker: Broker;
  config: Config;
  dir: string;
  url: string;
  token: string;
  logFile: string;
  /** Connect a client (resolves on connect, rejects with the connect_error message). */
  connect(options?: { token?: string; clientId?: string; forceNew?: boolean }): Promise<Client>;
  /** Close every client this broker's tests opened and wait until the server has let them go. */
  closeClients(): Promise<void>;
  /** Every JSON line of the log file so far. */
  logLines(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * A test broker's config: loopback, temp folders, fast heartbeats, debug logs. It keeps no
 * spare worker unless the test asks (`worker: { standby: true }`): the spare doubles the
 * worker processes a broker starts, and only the tests about restarts and updates need it.
 * Spares it asks for are never retired for quiet (`standby_quiet: 0`) unless it says so:
 * a loaded machine may leave a test's broker without a command for 30 s.
 */
export function testConfig(dir: string, overrides: DeepPartial<ConfigInput> = {}): Config {
  const o = overrides as Record<string, Record<string, unknown> | undefined>;
  return parseConfig(
    {
      ...o,
      websocket: { host: '127.0.0.1', port: 0, ...o.websocket },
      worker: { storage_dir: join(dir, 'projects'), data_dir: join(dir, 'robot-data'), heartbeat_interval: 0.25, heartbeat_timeout: 5, standby: false, standby_quiet: 0, ...o.worker },
      ipc: { command_socket: `ipc://${join(dir, 'cmd.ipc')}`, callback_socket: `ipc://${join(dir, 'cb.ipc')}`, ...o.ipc },
      auth: { token: 'test-token', ...o.auth },
      log: { file: join(dir, 'logs', 'app.log'), level: 'debug', console: false, ...o.log },
      foxglove: { port: 0, ...o.foxglove },
    },
    dir,
    {},
  );
}

export async function startTestBroker(overrides: DeepPartial<ConfigInput> = {}): Promise<TestBroker> {
  const dir = tempDir();
  const config = testConfig(dir, overrides);
  // Imported here, not at the top: a file that only uses the helpers (its broker a process of
  // its own, or none) does not load the whole server (measured: ~0.35 s of CPU less per such file).
  const [{ startBroker }, { closeLogger, createLogger }] = await Promise.all([import('../../dist/server/broker.js'), import('../../dist/server/logger.js')]);
  const logger = createLogger(config.log);
  const broker = await startBroker(config, { logger });
  watchLog(config.log.file);
  const clients: Client[] = [];
  const url = `http://127.0.0.1:${broker.port}`;
  return {
    broker,
    config,
    dir,
    url,
    token: broker.token,
    logFile: config.log.file,
    connect: async (options = {}) => {
      // The previous test's client may not have been released by the server yet: wait for it.
      const deadline = Date.now() + 5000;
      let c: Client;
      for (;;) {
        try {
          c = await connectClient(url, { token: options.token ?? broker.token, clientId: options.clientId });
          break;
        } catch (err) {
          if ((err as Error).message !== 'busy' || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 25));
        }
      }
      clients.push(c);
      return c;
    },
    logLines: () => readLog(config.log.file),
    closeClients: async () => {
      for (const c of clients.splice(0)) c.close();
      await waitFor(() => broker.io.of('/').sockets.size === 0, 5000, 'clients to be released');
    },
    close: async () => {
      for (const c of clients) c.close();
      await broker.close();
      unwatchLog(config.log.file);
      await closeLogger(logger); // its thread and files: a shared test process starts many brokers
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function readLog(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  // The logger's thread may be mid-line: only complete lines (ending in a newline) count.
  const text = readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A real client over websocket, no reconnection; `listen` attaches handlers before the first packet can arrive. */
export function connectClient(url: string, auth: { token?: string; clientId?: string | undefined; [field: string]: unknown }, listen?: (socket: Client) => void): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket: Client = connectIo(url, { auth, reconnection: false, forceNew: true, transports: ['websocket'], autoConnect: false });
    listen?.(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect();
  });
}

/** Emit a command and wait for its ack. */
export function call<T = unknown>(socket: Client, event: 'update' | 'update_chunk' | 'start' | 'process', payload: unknown, timeoutMs = 25_000): Promise<Ack<T>> {
  return (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<T>> }).emitWithAck(event, payload);
}

/** Call a robot method; the ack. */
export function callMethod<T = unknown>(socket: Client, object: string, method: string, args?: unknown, timeoutMs?: number): Promise<Ack<T>> {
  return call<T>(socket, 'process', { params: args === undefined ? { object, method } : { object, method, args } }, timeoutMs);
}

/** Resolve once a new client can connect (the previous one has been let go). */
export function waitForFreeSlot(url: string, token: string, timeoutMs = 10_000): Promise<void> {
  return waitFor(
    async () => {
      try {
        (await connectClient(url, { token })).close();
        return true;
      } catch {
        return false;
      }
    },
    timeoutMs,
    'the client slot to free up',
  );
}

/**
 * Resolve when `predicate` holds; reject after `timeoutMs`. Polls every 20 ms at first,
 * backing off to every 100 ms: many predicates read a log or /proc, and a suite of long
 * waits polling fast costs the CPU the brokers under test need.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pause = 20;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(100, Math.round(pause * 1.25));
  }
}

/** A switch on a broker's door: while `refusing`, engine.io refuses every new connection (its allowRequest); `refused` counts them. */
export interface ConnectionGate {
  refusing: boolean;
  readonly refused: number;
}

type AllowRequest = (req: unknown, answer: (err: string | null, ok: boolean) => void) => void;

/** Put a gate in front of the broker's engine.io (its own allowRequest, if any, still decides the rest). */
export function gateConnections(broker: Broker): ConnectionGate {
  const engine = broker.io.engine as unknown as { opts: { allowRequest?: AllowRequest } };
  const allow = engine.opts.allowRequest;
  const gate = { refusing: false, refused: 0 };
  engine.opts.allowRequest = (req, answer) => {
    if (!gate.refusing) return allow ? allow(req, answer) : answer(null, true);
    gate.refused++;
    answer('test: refusing connections', false);
  };
  return gate;
}

/** Collect the payloads of `event` on a socket. */
export function collect<T = unknown>(socket: Client, event: string): T[] {
  const got: T[] = [];
  (socket as unknown as { on(e: string, fn: (d: T) => void): void }).on(event, (d) => got.push(d));
  return got;
}
