/**
 * The console's log lines (written by the log thread's sink, log-sink.ts): pino-pretty,
 * minus the per-command lines. After start-up the console says what an operator at the
 * terminal needs (the banner, connections, worker restarts, warnings and errors); every
 * command stays in app.log and events.log, at info, as before.
 */
import type Pino from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import { requireCjs } from '../ipc/cjs.js';
import { hasTopLevelString, topLevelNumber } from './observability/json-line.js';

const pino = requireCjs('pino') as typeof Pino;
const { prettyFactory } = requireCjs('pino-pretty') as typeof import('pino-pretty');

/** pino's warn level: a failed command is logged at it, and still shows. */
const WARN = 40;

/** Whether a JSON log line goes to the console: all but the events journal's per-command line (`"event":"command"`) under warn. */
export function onConsole(line: string): boolean {
  if (!hasTopLevelString(line, 'event', 'command')) return true;
  const level = topLevelNumber(line, 'level');
  return level !== undefined && level >= WARN;
}

/**
 * The console: each line given (JSON, no newline) that `onConsole` lets through, pretty,
 * written to stdout at once. pino-pretty's own stream went through two streams and an
 * asynchronous writer, and its end could be reported before the last lines were out: a
 * process that ended right after lost them (seen beside two busy loops, ci127).
 */
export function consoleLog(options: PrettyOptions): { write(line: string): void; end(done: () => void): void } {
  const pretty = prettyFactory(options);
  const out = pino.destination({ dest: 1, sync: true });
  return {
    write: (line) => void (onConsole(line) && out.write(pretty(line))),
    end: (done) => {
      out.flushSync();
      done();
    },
  };
}
