/**
 * The worker logs JSON lines to stdout; the supervisor reads them into the broker's
 * log. Robot code's console output becomes log lines too, so stdout stays JSON.
 */
import { format } from 'node:util';
import pino from 'pino';

export function createWorkerLogger(level: string, generation: number): pino.Logger {
  // Synchronous: a fatal line written just before exit must reach the supervisor.
  return pino({ level, base: { proc: 'worker', pid: process.pid, gen: generation } }, pino.destination({ fd: 1, sync: true }));
}

/** Route console.* (robot code's prints) into the log as `src: "robot"` lines. */
export function captureConsole(log: pino.Logger): void {
  const robot = log.child({ src: 'robot' });
  console.log = (...args: unknown[]) => robot.info(format(...args));
  console.info = console.log;
  console.debug = (...args: unknown[]) => robot.debug(format(...args));
  console.warn = (...args: unknown[]) => robot.warn(format(...args));
  console.error = (...args: unknown[]) => robot.error(format(...args));
}
