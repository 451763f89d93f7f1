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
 *
 * A log that cannot be written (disk full, quota, a vanished folder) never throws:
 * an error here would reach the server as the transport stream's 'error' and end
 * it. The lines are dropped and counted in `health` (shared memory the server
 * reads for /health and /stats), a half-written batch is cut back off the file so
 * every line in it stays whole JSON, and each later batch tries again.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
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
  /** Where this file's write health goes (see LogHealthSlots); absent: nowhere. */
  health?: { buffer: SharedArrayBuffer; slot: number };
}

/**
 * Int32 fields per file in the shared health buffer: lines dropped so far, and the
 * errno of the failure under way (0 while the file is written fine).
 */
export const HEALTH_FIELDS = 2;
export const DROPPED = 0;
export const FAILING_ERRNO = 1;

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

/** Counts a file's failures into the shared health buffer, and says so on stderr once per failure. */
function healthOf(file: string, health: RotatingFileOptions['health']) {
  const cells = health ? new Int32Array(health.buffer, health.slot * HEALTH_FIELDS * 4, HEALTH_FIELDS) : new Int32Array(HEALTH_FIELDS);
  return {
    failed(err: unknown, lines: number): void {
      Atomics.add(cells, DROPPED, lines);
      const errno = Math.abs((err as NodeJS.ErrnoException).errno ?? 0) || 1;
      if (Atomics.exchange(cells, FAILING_ERRNO, errno) === 0) {
        process.stderr.write(`robot-control: cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): log lines are dropped and counted until it can\n`);
      }
    },
    ok(): void {
      if (Atomics.exchange(cells, FAILING_ERRNO, 0) !== 0) {
        process.stderr.write(`robot-control: writing ${file} again (${Atomics.load(cells, DROPPED)} lines were dropped)\n`);
      }
    },
  };
}

export default function rotatingFile(options: RotatingFileOptions): Writable {
  const { file, maxSize, maxFiles, channel } = options;
  const health = healthOf(file, options.health);
  // Synchronous file calls are fine here: this is the transport thread, not the server's loop,
  // and they make the rename-and-reopen exact (no write can land between the two).
  let fd = -1;
  let size = 0;
  /** Open the live file; on failure stay closed (-1): the next batch tries again. */
  const open = (): Error | null => {
    try {
      mkdirSync(dirname(file), { recursive: true });
      fd = openSync(file, 'a');
      size = sizeOf(file);
      return null;
    } catch (err) {
      fd = -1;
      return err as Error;
    }
  };
  const opened = open();
  if (opened) health.failed(opened, 0);
  const marker = channel ? `"channel":${JSON.stringify(channel)}` : null;
  let batch: string[] = [];
  let batchBytes = 0;
  let flushQueued = false;

  const rotate = (): void => {
    try {
      closeSync(fd);
    } catch {
      // closing is best effort: the file is reopened below
    }
    try {
      if (maxFiles > 0) shiftFiles(file, maxFiles);
      else rmSync(file, { force: true });
    } catch (err) {
      // A log that cannot rotate must still log: keep the live file, try again a max_size later.
      process.stderr.write(`robot-control: cannot rotate ${file}: ${(err as Error).message}\n`);
    }
    const err = open();
    if (err) health.failed(err, 0);
  };

  /** Write all of `data`, or none of it: a half-written batch is cut back off the file. */
  const writeAll = (data: Buffer): void => {
    let written = 0;
    try {
      while (written < data.length) written += writeSync(fd, data, written);
    } catch (err) {
      if (written > 0) {
        try {
          ftruncateSync(fd, fstatSync(fd).size - written);
        } catch {
          // not a regular file (a device): nothing to cut back
        }
      }
      throw err;
    }
  };

  const flush = (): void => {
    flushQueued = false;
    if (batch.length === 0) return;
    const lines = batch.length;
    const data = Buffer.from(batch.join(''));
    batch = [];
    batchBytes = 0;
    const err = fd < 0 ? open() : null;
    if (err) return health.failed(err, lines);
    try {
      writeAll(data);
    } catch (e) {
      return health.failed(e, lines);
    }
    health.ok();
    size += data.length;
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
      flush();
      try {
        if (fd >= 0) closeSync(fd);
      } catch {
        // an error here would only reach the server as the transport's 'error'
      }
      callback();
    },
  });
}
