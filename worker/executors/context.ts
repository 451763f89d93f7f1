/**
 * What an executor gets from the worker: where to report failed stop hooks, the
 * worker's logger and its config (a Python child needs the interpreter path, the
 * memory limit and the heartbeat interval).
 */
import type pino from 'pino';
import type { WorkerConfig } from '../../ipc/protocol.js';
import { createWorkerLogger } from '../logger.js';

export interface ExecutorContext {
  onStopError: (hook: string, err: unknown) => void;
  /** The worker's root logger. Absent: one made from the worker's config. */
  log?: pino.Logger;
  /** The worker's config. Absent: the one the server handed this process. */
  config?: Partial<WorkerConfig>;
}

/** What executors read from the worker's config, with the broker's own defaults. */
export interface ExecutorSettings {
  pythonPath: string;
  /** MiB; 0 means no limit. */
  maxMemoryMb: number;
  heartbeatIntervalMs: number;
  /** How long a child may leave a ping unanswered before it counts as wedged. */
  heartbeatTimeoutMs: number;
}

// The server hands the worker its config in ROBOT_CONTROL_WORKER; worker/main.ts reads
// and deletes it after its imports ran, so this module (imported by worker.ts) still sees
// it. Used only when the worker does not pass `config`/`log` in the ExecutorContext.
const handedOver: Partial<WorkerConfig> = parseHandedOver(process.env.ROBOT_CONTROL_WORKER);

function parseHandedOver(raw: string | undefined): Partial<WorkerConfig> {
  try {
    const parsed: unknown = JSON.parse(raw ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Partial<WorkerConfig>) : {};
  } catch {
    return {};
  }
}

export function executorSettings(ctx: ExecutorContext): ExecutorSettings {
  const config = { ...handedOver, ...ctx.config } as Partial<WorkerConfig> & { heartbeatTimeoutMs?: number };
  const heartbeatIntervalMs = config.heartbeatIntervalMs ?? 1000;
  return {
    pythonPath: config.pythonPath ?? 'python3',
    maxMemoryMb: config.maxMemoryMb ?? 0,
    heartbeatIntervalMs,
    // The supervisor's own default budget is ten intervals (1 s / 10 s).
    heartbeatTimeoutMs: config.heartbeatTimeoutMs ?? Math.max(10 * heartbeatIntervalMs, 2000),
  };
}

let fallbackLog: pino.Logger | null = null;

export function executorLog(ctx: ExecutorContext): pino.Logger {
  if (ctx.log) return ctx.log;
  fallbackLog ??= createWorkerLogger(handedOver.logLevel ?? 'info', handedOver.generation ?? 0);
  return fallbackLog;
}
