/**
 * What a failing test prints besides its assertion: the last lines of the log of every
 * test broker that was open when it ran, or that it closed (tests/setup.ts). A broker's
 * temp folder is deleted when it closes, and a failure that happens once in thirty runs
 * (a restart not seen in time) cannot be explained afterwards without them.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

const TAIL_BYTES = 24 * 1024;
const TAIL_LINES = 40;

/** Log files of the brokers open now. */
const open = new Set<string>();
/** Tails of the logs of the brokers closed since the current test began. */
let closed: Array<{ file: string; tail: string }> = [];

export function watchLog(file: string): void {
  open.add(file);
}

/** The broker is closing: keep its tail (its folder is about to go). */
export function unwatchLog(file: string): void {
  if (!open.delete(file)) return;
  closed.push({ file, tail: tail(file) });
}

export function testStarted(): void {
  closed = [];
}

export function failureLogs(): string {
  const logs = [...[...open].map((file) => ({ file, tail: tail(file) })), ...closed];
  return logs.map((l) => `--- the last lines of ${l.file}\n${l.tail}`).join('\n');
}

function tail(file: string): string {
  if (!existsSync(file)) return '(no log file)';
  const size = statSync(file).size;
  const start = Math.max(0, size - TAIL_BYTES);
  const buf = Buffer.alloc(size - start);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n').filter(Boolean);
  return lines
    .slice(start > 0 ? 1 : 0) // the first may be cut
    .slice(-TAIL_LINES)
    .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
    .join('\n');
}
