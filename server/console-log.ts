/**
 * The console's log target (a pino transport target, run in pino's transport thread):
 * pino-pretty, minus the per-command lines. After start-up the console says what an
 * operator at the terminal needs (the banner, connections, worker restarts, warnings
 * and errors); every command stays in app.log and events.log, at info, as before.
 */
import { Writable } from 'node:stream';
import pinoPretty, { type PrettyOptions } from 'pino-pretty';

/** The events journal's per-command line (`"event":"command"`): one per call, the console's flood. */
const COMMAND = '"event":"command"';

/** Whether a JSON log line goes to the console. */
export function onConsole(line: string): boolean {
  if (!line.includes(COMMAND)) return true;
  try {
    const entry = JSON.parse(line) as { event?: unknown; level?: unknown };
    // A failed command is a warning: it still shows.
    return entry.event !== 'command' || (typeof entry.level === 'number' && entry.level >= 40);
  } catch {
    return true;
  }
}

export default function consoleLog(options: PrettyOptions): Writable {
  const pretty = pinoPretty(options);
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (const line of text.split('\n')) if (line && onConsole(line)) pretty.write(`${line}\n`);
      callback();
    },
    final(callback) {
      pretty.end(() => callback());
    },
  });
}
