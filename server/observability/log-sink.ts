/**
 * The server's log, written in pino's transport thread (never on the main loop): the one
 * target of that transport (logger.ts), so pino hands it what the server wrote, batches of
 * whole JSON lines (log-batch.ts), without splitting and parsing each line as it does for
 * several targets. Every line goes to app.log as it came; lines whose top-level `channel`
 * is `events` also go to events.log; the console (when on) gets its lines pretty.
 *
 * Nothing here parses a line to route it (json-line.ts answers from the text): with a
 * target per file, pino split out and parsed every line, and events.log and the console
 * parsed it again; this thread's CPU per command is about half what it was (measured in
 * docs/PERFORMANCE.md), CPU that on two cores the worker or the client would have used.
 */
import { Writable } from 'node:stream';
import type { PrettyOptions } from 'pino-pretty';
import { hasTopLevelString } from './json-line.js';
import { RotatingFile, type RotatingFileOptions } from './rotating-file.js';

export interface LogSinkOptions {
  /** app.log: every line. */
  all: RotatingFileOptions;
  /** A file that gets only the lines of one channel (events.log). */
  channel?: RotatingFileOptions & { name: string };
  /** The console, pretty; absent: off. */
  console?: PrettyOptions;
}

/** The lines of `text` (whole lines, each ending with a newline) whose top-level `channel` is `name`. */
function channelLines(text: string, name: string): string {
  const marker = `"channel":${JSON.stringify(name)}`;
  let out = '';
  for (let at = text.indexOf(marker); at !== -1; ) {
    const start = text.lastIndexOf('\n', at) + 1;
    const end = text.indexOf('\n', at) + 1;
    const line = text.slice(start, end - 1);
    if (hasTopLevelString(line, 'channel', name)) out += `${line}\n`;
    at = text.indexOf(marker, end);
  }
  return out;
}

/** pino's transport awaits what this returns. The console's modules (pino-pretty) are loaded only when it is on: the thread's start, the console off, 139 -> 75-78 ms of CPU (2026-11-29, six starts each). */
export default async function logSink(options: LogSinkOptions): Promise<Writable> {
  const all = new RotatingFile(options.all);
  const channel = options.channel ? { name: options.channel.name, file: new RotatingFile(options.channel) } : null;
  const pretty = options.console ? (await import('../console-log.js')).consoleLog(options.console) : null;
  /** A line cut at the end of a chunk: pino's transport may hand a batch over in parts. */
  let carry = '';

  const lines = (text: string): void => {
    all.append(text);
    if (channel) {
      const picked = channelLines(text, channel.name);
      if (picked) channel.file.append(picked);
    }
    if (pretty) for (const line of text.split('\n')) if (line) pretty.write(line);
  };

  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = carry + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      const end = text.lastIndexOf('\n') + 1;
      carry = text.slice(end);
      if (end > 0) lines(end === text.length ? text : text.slice(0, end));
      callback();
    },
    final(callback) {
      if (carry) lines(`${carry}\n`);
      carry = '';
      all.close();
      channel?.file.close();
      if (pretty) pretty.end(() => callback());
      else callback();
    },
  });
}
