/**
 * The worker's own log: JSON lines on its private pipe (fd 3), which the server reads
 * and re-writes into the broker's log (server/sandbox/worker-log.ts). stdout and
 * stderr are robot code's: console.*, prints and child processes write there, and the
 * server treats that as robot output, never as log lines.
 *
 * Lines in pino's shape (numeric `level`, `time`, the base fields, `msg`; an error under
 * `err` as pino's serializer writes it), but not written with pino: a worker starts for
 * every update and every restart, and loading pino took ~25 ms of a worker's ~180 ms from
 * spawn to ready (docs/PERFORMANCE.md, 2026-11-29 16:20-). The server re-writes every
 * line anyway, so the worker needs only what is below.
 */
import { writeSync } from 'node:fs';
import { LOG_LEVELS, type LogLevelName } from '../ipc/log-levels.js';
import { WORKER_PIPE_FD } from '../ipc/worker-protocol.js';

interface LogFn {
  (fields: Record<string, unknown>, msg?: string): void;
  (msg: string): void;
}

export type WorkerLogger = Record<LogLevelName, LogFn> & {
  /** A logger whose lines carry `bindings` too. */
  child(bindings: Record<string, unknown>): WorkerLogger;
};

/**
 * `level`: the config's `log.level` (`silent`: nothing). Lines go to `write`; by default
 * synchronously to fd 3 (a fatal line written just before exit must reach the supervisor).
 */
export function createWorkerLogger(level: string, generation: number, write: (line: string) => void = writeToPipe): WorkerLogger {
  const min = level === 'silent' ? Number.POSITIVE_INFINITY : (LOG_LEVELS[level as LogLevelName] ?? LOG_LEVELS.info);
  return make(min, { proc: 'worker', pid: process.pid, gen: generation }, write);
}

function make(min: number, base: Record<string, unknown>, write: (line: string) => void): WorkerLogger {
  const logger = { child: (bindings: Record<string, unknown>) => make(min, { ...base, ...bindings }, write) } as WorkerLogger;
  for (const [name, level] of Object.entries(LOG_LEVELS) as Array<[LogLevelName, number]>) {
    logger[name] = ((a: Record<string, unknown> | string, msg?: string) => {
      if (level < min) return;
      const fields = typeof a === 'string' ? {} : a;
      const text = typeof a === 'string' ? a : msg;
      const line: Record<string, unknown> = { level, time: Date.now(), ...base, ...fields };
      if (fields.err !== undefined) line.err = serializeError(fields.err);
      if (text !== undefined) line.msg = text;
      write(`${stringify(line)}\n`);
    }) as LogFn;
  }
  return logger;
}

/** An error as pino's `err` serializer writes it: its type, message and stack, its own fields, and its cause. */
function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = { type: err.constructor?.name ?? 'Error', message: err.message, stack: err.stack };
  for (const [k, v] of Object.entries(err)) if (!(k in out) && k !== 'cause') out[k] = v;
  if (err.cause !== undefined) out.cause = depth < 4 ? serializeError(err.cause, depth + 1) : String(err.cause);
  return out;
}

/** JSON that never throws: a cycle is written as "[Circular]", a BigInt as its digits. */
function stringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Write all of `line` to the pipe, waiting out a full one (it may be non-blocking, as worker/hello.ts reads it). */
function writeToPipe(line: string): void {
  let buf = Buffer.from(line);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(WORKER_PIPE_FD, buf));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return; // the server is gone: nobody to tell
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
