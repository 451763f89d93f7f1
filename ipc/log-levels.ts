/**
 * pino's level numbers, once for both processes: the worker writes them on its own log
 * lines (worker/logger.ts), the server checks them there (server/sandbox/worker-log.ts)
 * and filters its logs by them (server/observability/log-filter.ts).
 */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
