/**
 * Lines from a pipe the server does not control (a worker's stdout, stderr, log fd),
 * with a bound: a peer that writes a gigabyte without a newline gets it cut into
 * MAX_LINE pieces instead of growing the server's memory (readline has no limit).
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Characters per line; longer lines are cut and the pieces delivered as lines. */
export const MAX_LINE = 16 * 1024;

export function readLines(stream: Readable, onLine: (line: string) => void, max = MAX_LINE): void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (text: string): void => {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.length <= max) return onLine(line);
    for (let at = 0; at < line.length; at += max) onLine(line.slice(at, at + max));
  };
  const take = (chunk: string): void => {
    const text = partial + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      emit(text.slice(start, nl));
      start = nl + 1;
    }
    let rest = text.slice(start);
    while (rest.length >= max) {
      onLine(rest.slice(0, max));
      rest = rest.slice(max);
    }
    partial = rest;
  };
  stream.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
  stream.on('end', () => {
    take(decoder.end());
    if (partial) emit(partial);
    partial = '';
  });
  stream.on('error', () => {}); // the pipe of a process that is gone: its exit says why
}
