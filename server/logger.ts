/**
 * One root pino logger for the server: JSON lines to the log file and, when
 * enabled, readable lines on the console (pino-pretty). Both run in a transport
 * thread, off the hot path. Tokens are redacted wherever they appear.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';

export type Logger = pino.Logger;

export const REDACT_PATHS = [
  'token', '*.token', 'auth.token', 'handshake.auth.token', 'headers.authorization', 'req.headers.authorization', 'query.token',
];

export interface LoggerOptions {
  file: string;
  level: string;
  console: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  mkdirSync(dirname(options.file), { recursive: true });
  const targets: pino.TransportTargetOptions[] = [
    { target: 'pino/file', level: options.level, options: { destination: options.file, mkdir: true } },
  ];
  if (options.console) {
    targets.push({
      target: 'pino-pretty',
      level: options.level,
      options: { destination: 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname', singleLine: true },
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
