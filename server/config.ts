/**
 * config.yaml, validated once against a strict schema and frozen. Defaults live
 * here, with their units. Relative paths resolve against the config file's folder.
 * A bad file stops start-up with one line naming the key (ConfigError).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import type { WorkerConfig } from '../ipc/worker-protocol.js';
import type { StandbySetting } from './lifecycle/spare-demand.js';

const endpoint = z.string().regex(/^(ipc|tcp|inproc):\/\/.+/, 'expected an ipc://, tcp:// or inproc:// endpoint');
/** The longest duration a key may give, seconds: Node's timers take at most 2^31 - 1 ms, and fire at once past it. */
export const MAX_TIMER_SECONDS = 2_147_483;
const seconds = z.number().positive().max(MAX_TIMER_SECONDS);
/**
 * The most spare workers `worker.standby` may ask for, or auto grow to: each is a Node
 * process, ~50 MB resident of which ~11 MB its own (the rest is Node's code, shared).
 */
export const MAX_STANDBY = 8;

/** "*" or a bare origin: http(s), a host, maybe a port, nothing after it. */
function isOriginPattern(s: string): boolean {
  if (s === '*') return true;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password;
  } catch {
    return false;
  }
}

const schema = z.strictObject({
  websocket: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8000),
      max_message_size: z.number().int().positive().default(104_857_600), // bytes, 100 MB
      /** Packets waiting in a client's write buffer past which it is fed from the replay ring as it drains (docs/REPLAY.md). */
      max_client_backlog: z.number().int().positive().default(10_000), // packets
      /** Seconds the controller's backed-up write buffer may hold the robot's pushes in the worker, earned back while they flow; then it is fed from the ring like any client (docs/REPLAY.md). */
      controller_hold: z.number().min(0).max(3600).default(5), // seconds
      /** Observers (`auth.role: "observer"`) admitted at once beside the controller; 0: none (docs/CONTROL.md). */
      max_observers: z.number().int().min(0).max(10_000).default(32), // connections
      /** Browser origins admitted besides the panel's own and clients that send no Origin; "*" admits any. */
      allowed_origins: z.array(z.string().refine(isOriginPattern, 'expected an origin such as "https://panel.example:8443", or "*"')).default([]),
      auth_timeout: seconds.default(5), // seconds a new connection has to present a valid token before it is dropped
      max_pending_per_address: z.number().int().min(1).max(100_000).default(32), // connections an address may hold before it shows a token
      /** Nesting levels of arrays and objects in a payload, the payload counting as one. Socket.IO's encoder overflows near 4,000. */
      max_payload_depth: z.number().int().min(4).max(1000).default(64), // levels
    })
    .prefault({}),
  worker: z
    .strictObject({
      storage_dir: z.string().min(1).default('./storage/projects'),
      max_execution_time: seconds.default(300), // seconds, per call
      max_memory_mb: z.number().int().min(16).default(512), // MiB of worker heap
      max_unpacked_bytes: z.number().int().positive().default(1_073_741_824), // bytes, 1 GiB
      max_zip_entries: z.number().int().positive().default(10_000),
      /** Client commands waiting for their answer, past which new ones get E_OVERLOADED at once. */
      max_in_flight: z.number().int().positive().max(1_000_000).default(10_000), // calls
      heartbeat_interval: seconds.default(1), // seconds between pings
      heartbeat_timeout: seconds.default(5), // seconds without a pong before the worker counts as wedged
      start_timeout: seconds.default(20), // seconds for a new worker to report ready
      stop_timeout: seconds.default(5), // seconds for stop() hooks and a polite shutdown
      restart_limit: z.number().int().min(0).default(5), // quick restarts before `failed`
      stable_after: seconds.default(10), // seconds up that reset the restart count
      python: z.string().min(1).default('python3'),
      // spare workers kept ready, so a restart skips the process start: auto (one, up to 8 after updates back to back), true 1, false 0, or a count (spare-demand.ts)
      standby: z
        .union([z.literal('auto'), z.boolean(), z.number().int().min(0).max(MAX_STANDBY)])
        .default('auto')
        .transform((v): StandbySetting => (v === true ? 1 : v === false ? 0 : v)),
      standby_quiet: z.number().min(0).max(MAX_TIMER_SECONDS).default(30), // seconds without a client command after which the spares are retired until the next; 0: never
      sandbox: z.enum(['auto', 'bwrap', 'none']).default('auto'), // auto: bubblewrap where it works, else none (docs/SECURITY.md)
      data_dir: z.string().min(1).default('./storage/robot-data'), // the robot's writable folder (ROBOT_DATA_DIR)
      allow_paths: z.array(z.string().regex(/^\//, 'expected an absolute path')).default([]), // opened to sandboxed robot code: read-write (devices as devices), or read-only with a ":ro" suffix
      network: z.boolean().default(true), // sandboxed robot code may use the network (robots talk to their hardware over it)
      env_allow: z
        .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name').refine((n) => !n.startsWith('ROBOT_CONTROL_'), 'ROBOT_CONTROL_* never reaches robot code'))
        .default([]), // more host environment variables robot code gets (beyond the allow-list)
    })
    .prefault({}),
  ipc: z
    .strictObject({
      command_socket: endpoint.default('ipc:///tmp/robot-control-cmd.ipc'),
      callback_socket: endpoint.default('ipc:///tmp/robot-control-callback.ipc'),
    })
    .prefault({}),
  auth: z
    .strictObject({
      token: z.string().default(''), // empty: made on the first start, kept in <storage_dir>/.token (token-store.ts)
    })
    .prefault({}),
  log: z
    .strictObject({
      file: z.string().min(1).default('./storage/logs/app.log'),
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      console: z.boolean().default(true),
      /** Connections, commands, restarts and security events only; empty: events.log beside `file`. */
      events_file: z.string().default(''),
      max_size: z.number().int().min(4096).default(10_485_760), // bytes per log file before it rotates, 10 MiB
      max_files: z.number().int().min(0).default(5), // rotated files kept per log (app.log.1 ... app.log.5)
    })
    .prefault({}),
  metrics: z
    .strictObject({
      token: z.string().default(''), // a second token that may read /metrics only; empty: the auth token alone
    })
    .prefault({}),
  /** The Foxglove WebSocket endpoint (docs/FOXGLOVE.md). Off unless asked for: a second open port, and 8765 is foxglove_bridge's too. */
  foxglove: z
    .strictObject({
      enabled: z.boolean().default(false),
      host: z.string().default(''), // empty: websocket.host
      port: z.number().int().min(0).max(65535).default(8765),
      allow_calls: z.boolean().default(false), // Foxglove clients may call robot methods (services); off: they only observe
    })
    .prefault({}),
  /** Pushed events kept for clients that reconnect or fall behind (docs/REPLAY.md). The first bound reached evicts. */
  replay: z
    .strictObject({
      max_events: z.number().int().min(0).max(10_000_000).default(10_000), // events; 0: none kept (seq and meta still work)
      max_bytes: z.number().int().min(0).default(16_777_216), // bytes of event JSON as the worker sent it, 16 MiB
      max_age: z.number().min(0).default(120), // seconds
    })
    .prefault({}),
  /** MCAP recordings of sessions (docs/FOXGLOVE.md). */
  recording: z
    .strictObject({
      enabled: z.boolean().default(false), // record from start-up, every session, until switched off
      dir: z.string().default(''), // empty: `recordings` beside worker.storage_dir
      max_bytes: z.number().int().min(65_536).default(104_857_600), // bytes per file before the next one starts, 100 MiB
      max_queue_bytes: z.number().int().positive().default(33_554_432), // bytes waiting for the writer past which events are dropped (and counted), 32 MiB
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof schema>;
export type Config = Readonly<z.output<typeof schema>> & { readonly baseDir: string };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function resolveEndpoint(ep: string, baseDir: string): string {
  if (!ep.startsWith('ipc://')) return ep;
  const path = ep.slice('ipc://'.length);
  return isAbsolute(path) ? ep : `ipc://${resolve(baseDir, path)}`;
}

/** Validate a config object; relative paths resolve against `baseDir`. */
export function parseConfig(input: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = [...issue.path, ...('keys' in issue ? [issue.keys[0]] : [])].join('.');
    const what = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    throw new ConfigError(`${key || '(root)'}: ${what}`);
  }
  const c = result.data;
  if (c.log.events_file && resolve(baseDir, c.log.events_file) === resolve(baseDir, c.log.file)) {
    throw new ConfigError('log.events_file: must not be the same file as log.file');
  }
  const level = env.LOG_LEVEL?.toLowerCase();
  if (level && !['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new ConfigError(`LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent`);
  }
  return deepFreeze({
    ...c,
    baseDir,
    // ROBOT_CONTROL_TOKEN (a container's secret, say) wins over the file.
    auth: { token: env.ROBOT_CONTROL_TOKEN || c.auth.token },
    worker: { ...c.worker, storage_dir: resolve(baseDir, c.worker.storage_dir), data_dir: resolve(baseDir, c.worker.data_dir) },
    foxglove: { ...c.foxglove, host: c.foxglove.host || c.websocket.host },
    recording: { ...c.recording, dir: resolve(baseDir, c.recording.dir || join(c.worker.storage_dir, '..', 'recordings')) },
    ipc: {
      command_socket: resolveEndpoint(c.ipc.command_socket, baseDir),
      callback_socket: resolveEndpoint(c.ipc.callback_socket, baseDir),
    },
    log: {
      ...c.log,
      file: resolve(baseDir, c.log.file),
      events_file: c.log.events_file ? resolve(baseDir, c.log.events_file) : join(dirname(resolve(baseDir, c.log.file)), 'events.log'),
      level: (level as Config['log']['level']) ?? c.log.level,
    },
  });
}

/** Read, parse and validate a YAML config file. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let input: unknown;
  try {
    input = loadYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  return parseConfig(input, dirname(resolve(file)), env);
}

/** What a worker is handed of `config` (the pool adds each worker's generation). */
export function workerConfigOf(config: Config): Omit<WorkerConfig, 'generation'> {
  const ms = (s: number) => Math.round(s * 1000);
  return {
    commandEndpoint: config.ipc.command_socket,
    callbackEndpoint: config.ipc.callback_socket,
    stopTimeoutMs: ms(config.worker.stop_timeout),
    pythonPath: config.worker.python,
    maxMemoryMb: config.worker.max_memory_mb,
    heartbeatIntervalMs: ms(config.worker.heartbeat_interval),
    heartbeatTimeoutMs: ms(config.worker.heartbeat_timeout),
    logLevel: config.log.level,
  };
}
