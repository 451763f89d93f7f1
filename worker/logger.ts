/**
 * The worker's own log: JSON lines on its private pipe (fd 3), which the server reads
 * and re-writes into the broker's log (server/sandbox/worker-log.ts). stdout and
 * stderr are robot code's: console.*, prints and child processes write there, and the
 * server treats that as robot output, never as log lines.
 */
import pino from 'pino';
import { WORKER_PIPE_FD } from '../ipc/worker-protocol.js';

export function createWorkerLogger(level: string, generation: number): pino.Logger {
  // Synchronous: a fatal line written just before exit must reach the supervisor.
  return pino({ level, base: { proc: 'worker', pid: process.pid, gen: generation } }, pino.destination({ fd: WORKER_PIPE_FD, sync: true }));
}
