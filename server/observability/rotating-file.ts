/**
 * A pino transport target (it runs in pino's transport thread, never on the main
 * loop): JSON lines appended to one file, rotated by size the logrotate way.
 *
 * The live file always keeps its configured name (`app.log`), so `tail -F`, the
 * log viewer and anything reading `log.file` keep working across rotations; older
 * content moves to `app.log.1` (newest) ... `app.log.<maxFiles>` (oldest, then
 * deleted). pino-roll names its live file `app.1.log`, `app.2.log`, ... instead and
 * numbers by scanning every file in the folder, so app and events logs sharing a
 * folder would step on each other: hence this small target.
 *
 * With `channel` set, only lines whose top-level `channel` equals it are kept:
 * that is how events.log gets its subset of app.log without a second logger.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';

export interface RotatingFileOptions {
  file: string;
  /** Bytes past which the live file is rotated. */
  maxSize: number;
  /** Rotated files kept besides the live one (0: the live file is simply restarted). */
  maxFiles: number;
  /** Keep only lines whose top-level `channel` field equals this. */
  channel?: string;
}

/** `file`, `file.1`, ... `file.<n>`: the live file first, then older and older. */
export function rotatedName(file: string, n: number): string {
  return n === 0 ? file : `${file}.${n}`;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Shift file.(n-1) -> file.n down the chain, dropping the oldest. */
export function shiftFiles(file: string, maxFiles: number): void {
  rmSync(rotatedName(file, maxFiles), { force: true });
  for (let n = maxFiles; n >= 1; n--) {
    try {
      renameSync(rotatedName(file, n - 1), rotatedName(file, n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function wantedLine(line: string, marker: string | null, channel: string | undefined): boolean {
  if (!channel) return true;
  // Cheap test first: most lines are not events; parse only those that may be.
  if (!line.includes(marker!)) return false;
  try {
    return (JSON.parse(line) as { channel?: unknown }).channel === channel;
  } catch {
    return false;
  }
}

/** Bytes gathered before one write: lines arrive one by one, the disk likes them in batches. */
const BATCH_BYTES = 64 * 1024;

export default function rotatingFile(options: RotatingFileOptions): Writable {
  const { file, maxSize, maxFiles, channel } = options;
  mkdirSync(dirname(file), { recursive: true });
  // Synchronous file calls are fine here: this is the transport thread, not the server's loop,
  // and they make the rename-and-reopen exact (no write can land between the two).
  let fd = openSync(file, 'a');
  let size = sizeOf(file);
  const marker = channel ? `"channel":${JSON.stringify(channel)}` : null;
  let batch: string[] = [];
  let batchBytes = 0;
  let flushQueued = false;

  const rotate = (): void => {
    closeSync(fd);
    try {
      if (maxFiles > 0) shiftFiles(file, maxFiles);
      else rmSync(file, { force: true });
    } catch (err) {
      // A log that cannot rotate must still log: keep the live file, try again a max_size later.
      process.stderr.write(`robot-control: cannot rotate ${file}: ${(err as Error).message}\n`);
    }
    fd = openSync(file, 'a');
    size = sizeOf(file);
  };

  const flush = (): void => {
    flushQueued = false;
    if (batch.length === 0) return;
    const text = batch.join('');
    batch = [];
    batchBytes = 0;
    writeSync(fd, text);
    size += Buffer.byteLength(text);
    if (size >= maxSize) rotate();
  };

  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      // pino's multistream hands one line per write; be safe with several.
      for (const line of text.split('\n')) {
        if (line.length === 0 || !wantedLine(line, marker, channel)) continue;
        batch.push(line + '\n');
        batchBytes += line.length + 1;
        // Write out before the batch would carry the file past max_size: it passes it by one line at most.
        if (batchBytes >= BATCH_BYTES || size + batchBytes >= maxSize) flush();
      }
      if (batch.length > 0 && !flushQueued) {
        flushQueued = true;
        setImmediate(flush);
      }
      callback();
    },
    final(callback) {
      try {
        flush();
        closeSync(fd);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
