/**
 * One root pino logger for the server. Every line goes, as JSON, to `app.log`;
 * lines on the `events` channel (connections, commands, restarts, auth failures:
 * see observability/events-journal.ts) also go to `events.log`. Both files rotate
 * by size. Readable lines go to the console when enabled (pino-pretty). All of it
 * runs in pino's transport thread (observability/log-sink.ts), off the hot path, which
 * gets the lines in batches of up to 10 ms (log-batch.ts). Tokens are redacted wherever
 * they appear.
 *
 * Logging never stops the server: a file that cannot be written (a full disk) has
 * its lines dropped and counted (`logState()`, shown by /health and /stats), and
 * should the transport itself fail, its 'error' is caught here and the lines that
 * follow are counted the same way.
 */
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Pino from 'pino';
import { requireCjs } from '../ipc/cjs.js';
import { LineBatch } from './log-batch.js';
import type { LogSinkOptions } from './observability/log-sink.js';
import { DROPPED, FAILING_ERRNO, HEALTH_FIELDS } from './observability/rotating-file.js';

const pino = requireCjs('pino') as typeof Pino;

export type Logger = Pino.Logger;

export const REDACT_PATHS = [
  'token', '*.token', 'auth.token', 'handshake.auth.token', 'headers.authorization', 'req.headers.authorization', 'query.token',
  'authorization', '*.authorization', 'headers.cookie', 'metrics.token', 'config.auth.token', 'config.metrics.token',
];

/** Lines bound with this channel are the events log (app.log gets them too). */
export const EVENTS_CHANNEL = 'events';

export interface LoggerOptions {
  file: string;
  level: string;
  console: boolean;
  /** The events log; absent: none. */
  events_file?: string;
  /** Bytes per file before it rotates (default 10 MiB). */
  max_size?: number;
  /** Rotated files kept per log (default 5). */
  max_files?: number;
}

const LOG_SINK = fileURLToPath(new URL('./observability/log-sink.js', import.meta.url));

/** Whether the log files are being written; what /health and /stats show. */
export interface LogState {
  /** Every log file is being written (false while lines are dropped). */
  writing: boolean;
  /** Lines dropped since start because a file could not be written, all files together. */
  dropped: number;
  /** Why lines are being dropped right now (`ENOSPC`: the disk is full), or null. */
  error: string | null;
}

const states = new WeakMap<Logger, () => LogState>();
/** Each logger's transport (its thread and open files), ended by closeLogger. */
const transports = new WeakMap<Logger, ReturnType<typeof pino.transport>>();

/** The log files' state for a logger made by createLogger (any other: written, as far as we know). */
export function logState(log: Logger): LogState {
  return states.get(log)?.() ?? { writing: true, dropped: 0, error: null };
}

/** errno numbers back to their names (the transport thread shares numbers, not strings). */
function errnoName(errno: number): string {
  for (const [name, n] of Object.entries(constants.errno)) if (n === errno) return name;
  return `errno ${errno}`;
}

export function createLogger(options: LoggerOptions): Logger {
  try {
    mkdirSync(dirname(options.file), { recursive: true });
  } catch {
    // the transport reports a log it cannot write; the server runs without it
  }
  const rotation = { maxSize: options.max_size ?? 10_485_760, maxFiles: options.max_files ?? 5 };
  const files = options.events_file ? 2 : 1;
  // Shared with the transport thread, which counts what it could not write (rotating-file.ts).
  const buffer = new SharedArrayBuffer(files * HEALTH_FIELDS * Int32Array.BYTES_PER_ELEMENT);
  const cells = new Int32Array(buffer);
  const sink: LogSinkOptions = {
    all: { file: options.file, ...rotation, health: { buffer, slot: 0 } },
    ...(options.events_file ? { channel: { name: EVENTS_CHANNEL, file: options.events_file, ...rotation, health: { buffer, slot: 1 } } } : {}),
    // pino-pretty without the per-command lines (console-log.ts)
    ...(options.console ? { console: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname,channel', singleLine: true } } : {}),
  };
  // One target: pino hands it the batches as they are (several targets would have every line split out and parsed).
  const transport = pino.transport({ target: LOG_SINK, options: sink });
  let transportError: string | null = null;
  let lost = 0;
  // Without a listener, the transport's 'error' (its thread failed) would end the server.
  transport.on('error', (err: Error) => {
    lost++; // once for the failure (and a batch on its way then), then once per line logged after
    if (transportError !== null) return;
    transportError = `the log transport failed: ${err.message}`;
    process.stderr.write(`robot-control: ${transportError}; log lines are dropped and counted\n`);
  });
  // A line logged once the transport has failed is counted, not handed to it.
  const refuse = (): boolean => {
    if (transportError === null) return false;
    lost++;
    return true;
  };
  const log = pino(
    { level: options.level, base: { proc: 'server', pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    new LineBatch(transport, refuse, (lines) => (lost += lines)),
  );
  transports.set(log, transport);
  states.set(log, () => {
    let dropped = lost;
    let failing = 0;
    for (let slot = 0; slot < files; slot++) {
      dropped += Atomics.load(cells, slot * HEALTH_FIELDS + DROPPED);
      failing ||= Atomics.load(cells, slot * HEALTH_FIELDS + FAILING_ERRNO);
    }
    const error = transportError ?? (failing ? errnoName(failing) : null);
    return { writing: error === null, dropped, error };
  });
  return log;
}

/** Flush the transport before the process exits. */
export function flushLogger(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}

/**
 * Flush, then end the transport: its thread exits and closes the log files. For a
 * logger that goes before its process does (an embedded broker closed, a test's broker);
 * lines logged after this are dropped.
 */
export async function closeLogger(log: Logger): Promise<void> {
  await flushLogger(log);
  const transport = transports.get(log);
  if (!transport) return;
  transports.delete(log); // ended once
  const closed = once(transport, 'close');
  // pino unrefs its thread: unreferenced, a process with nothing else to do would exit (code 13, an
  // unsettled top-level await) before the thread has closed the files, the last act of an embedding app.
  (transport as typeof transport & { ref(): void }).ref(); // thread-stream has ref(); its types leave it out
  transport.end();
  await closed;
}
