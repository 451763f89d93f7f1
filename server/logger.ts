/**
 * One root pino logger for the server. Every line goes, as JSON, to `app.log`;
 * lines on the `events` channel (connections, commands, restarts, auth failures:
 * see observability/events-journal.ts) also go to `events.log`. Both files rotate
 * by size. Readable lines go to the console when enabled (pino-pretty). All of it
 * runs in pino's transport thread, off the hot path. Tokens are redacted wherever
 * they appear.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { RotatingFileOptions } from './observability/rotating-file.js';

export type Logger = pino.Logger;

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

const ROTATING_FILE = fileURLToPath(new URL('./observability/rotating-file.js', import.meta.url));
const CONSOLE_LOG = fileURLToPath(new URL('./console-log.js', import.meta.url));

export function createLogger(options: LoggerOptions): Logger {
  mkdirSync(dirname(options.file), { recursive: true });
  const rotation = { maxSize: options.max_size ?? 10_485_760, maxFiles: options.max_files ?? 5 };
  const targets: pino.TransportTargetOptions[] = [
    { target: ROTATING_FILE, level: options.level, options: { file: options.file, ...rotation } satisfies RotatingFileOptions },
  ];
  if (options.events_file) {
    targets.push({
      target: ROTATING_FILE,
      level: options.level,
      options: { file: options.events_file, ...rotation, channel: EVENTS_CHANNEL } satisfies RotatingFileOptions,
    });
  }
  if (options.console) {
    targets.push({
      target: CONSOLE_LOG, // pino-pretty without the per-command lines
      level: options.level,
      options: { destination: 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname,channel', singleLine: true },
    });
  }
  return pino(
    { level: options.level, base: { proc: 'server', pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.transport({ targets }),
  );
}

/** Flush the transport before the process exits. */
export function flushLogger(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}
