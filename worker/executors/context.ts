/**
 * What an executor gets from the worker: where to report failed stop hooks, the
 * worker's logger and its config (a Python child needs the interpreter path, the
 * memory limit and the heartbeat budget).
 */
import type { WorkerLogger } from '../logger.js';
import type { WorkerConfig } from '../../ipc/worker-protocol.js';

export interface ExecutorContext {
  onStopError: (hook: string, err: unknown) => void;
  /** The worker's root logger. */
  log: WorkerLogger;
  /** The worker's config, as the server handed it over. */
  config: WorkerConfig;
}

/** What executors read from the worker's config. */
export interface ExecutorSettings {
  pythonPath: string;
  /** MiB; 0 means no limit. */
  maxMemoryMb: number;
  heartbeatIntervalMs: number;
  /** How long a child may leave a ping unanswered before it counts as wedged. */
  heartbeatTimeoutMs: number;
}

export function executorSettings(ctx: ExecutorContext): ExecutorSettings {
  const { pythonPath, maxMemoryMb, heartbeatIntervalMs, heartbeatTimeoutMs } = ctx.config;
  return { pythonPath, maxMemoryMb, heartbeatIntervalMs, heartbeatTimeoutMs };
}
