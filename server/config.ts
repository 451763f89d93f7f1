/**
 * config.yaml, validated once against a strict schema and frozen. Defaults live
 * here, with their units. Relative paths resolve against the config file's folder.
 * A bad file stops start-up with one line naming the key (ConfigError).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';

const endpoint = z.string().regex(/^(ipc|tcp|inproc):\/\/.+/, 'expected an ipc://, tcp:// or inproc:// endpoint');
const seconds = z.number().positive();

const schema = z.strictObject({
  websocket: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8000),
      max_message_size: z.number().int().positive().default(104_857_600), // bytes, 100 MB
      /** Pushed events waiting in a client's write buffer past which new ones are shed (and counted). */
      max_client_backlog: z.number().int().positive().default(10_000), // packets
    })
    .prefault({}),
  worker: z
    .strictObject({
      storage_dir: z.string().min(1).default('./storage/projects'),
      max_execution_time: seconds.default(300), // seconds, per call
      max_memory_mb: z.number().int().min(16).default(512), // MiB of worker heap
      max_unpacked_bytes: z.number().int().positive().default(1_073_741_824), // bytes, 1 GiB
      max_zip_entries: z.number().int().positive().default(10_000),
      heartbeat_interval: seconds.default(1), // seconds between pings
      heartbeat_timeout: seconds.default(5), // seconds without a pong before the worker counts as wedged
      start_timeout: seconds.default(20), // seconds for a new worker to report ready
      stop_timeout: seconds.default(5), // seconds for stop() hooks and a polite shutdown
      restart_limit: z.number().int().min(0).default(5), // quick restarts before `failed`
      stable_after: seconds.default(10), // seconds up that reset the restart count
      python: z.string().min(1).default('python3'),
      standby: z.boolean().default(true), // keep a spare worker ready: restarts skip the process start
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
      token: z.string().default(''), // empty: a random token is made at start and printed
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
    worker: { ...c.worker, storage_dir: resolve(baseDir, c.worker.storage_dir) },
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
