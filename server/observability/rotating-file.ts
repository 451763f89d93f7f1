/**
 * One log file, appended in whole lines and rotated by size the logrotate way; the log
 * thread's sink (log-sink.ts) writes app.log and events.log through it.
 *
 * The live file always keeps its configured name (`app.log`), so `tail -F`, the
 * log viewer and anything reading `log.file` keep working across rotations; older
 * content moves to `app.log.1` (newest) ... `app.log.<maxFiles>` (oldest, then
 * deleted). pino-roll names its live file `app.1.log`, `app.2.log`, ... instead and
 * numbers by scanning every file in the folder, so app and events logs sharing a
 * folder would step on each other: hence this small class.
 *
 * A log that cannot be written (disk full, quota, a vanished folder) never throws:
 * an error here would reach the server as the transport stream's 'error' and end
 * it. The lines are dropped and counted in `health` (shared memory the server
 * reads for /health and /stats), a half-written batch is cut back off the file so
 * every line in it stays whole JSON, and each later batch tries again.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  file: string;
  /** Bytes past which the live file is rotated. */
  maxSize: number;
  /** Rotated files kept besides the live one (0: the live file is simply restarted). */
  maxFiles: number;
  /** Where this file's write health goes (HEALTH_FIELDS Int32 cells at `slot`, read by logger.ts); absent: nowhere. */
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

/** Lines in `text` (each ends with a newline). */
function lineCount(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/**
 * Synchronous file calls throughout: this runs in the log thread, not on the server's loop,
 * and they make the rename-and-reopen exact (no write can land between the two).
 */
export class RotatingFile {
  private readonly health: ReturnType<typeof healthOf>;
  private fd = -1;
  private size = 0;

  constructor(private readonly options: RotatingFileOptions) {
    this.health = healthOf(options.file, options.health);
    const err = this.open();
    if (err) this.health.failed(err, 0);
  }

  /**
   * Append whole lines (`text` ends with a newline), as one write. Lines that would carry
   * the live file past max_size go up to the first that passes it, which is the last
   * line the file gets before it rotates: a file passes max_size by one line at most.
   */
  append(text: string): void {
    const data = Buffer.from(text);
    if (this.size + data.length < this.options.maxSize) return this.write(data, text);
    let from = 0;
    while (from < text.length) {
      // Up to and with the line that reaches max_size (one line at least: a file that could not rotate is past it).
      let end = from;
      let room = this.options.maxSize - this.size;
      do {
        const next = text.indexOf('\n', end) + 1 || text.length;
        room -= Buffer.byteLength(text.slice(end, next));
        end = next;
      } while (end < text.length && room > 0);
      const part = text.slice(from, end);
      this.write(Buffer.from(part), part);
      from = end;
    }
  }

  /** Close the live file. */
  close(): void {
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch {
      // an error here would only reach the server as the transport's 'error'
    }
    this.fd = -1;
  }

  /** Open the live file; on failure stay closed (-1): the next write tries again. */
  private open(): Error | null {
    const { file } = this.options;
    try {
      mkdirSync(dirname(file), { recursive: true });
      this.fd = openSync(file, 'a');
      this.size = sizeOf(file);
      return null;
    } catch (err) {
      this.fd = -1;
      return err as Error;
    }
  }

  private rotate(): void {
    const { file, maxFiles } = this.options;
    this.close();
    try {
      if (maxFiles > 0) shiftFiles(file, maxFiles);
      else rmSync(file, { force: true });
    } catch (err) {
      // A log that cannot rotate must still log: keep the live file, try again a max_size later.
      process.stderr.write(`robot-control: cannot rotate ${file}: ${(err as Error).message}\n`);
    }
    const err = this.open();
    if (err) this.health.failed(err, 0);
  }

  /** Write all of `data` (`text`, for counting its lines if it is dropped), or none of it; rotate past max_size. */
  private write(data: Buffer, text: string): void {
    if (data.length === 0) return;
    const err = this.fd < 0 ? this.open() : null;
    if (err) return this.health.failed(err, lineCount(text));
    let written = 0;
    try {
      while (written < data.length) written += writeSync(this.fd, data, written);
    } catch (e) {
      if (written > 0) {
        try {
          ftruncateSync(this.fd, fstatSync(this.fd).size - written);
        } catch {
          // not a regular file (a device): nothing to cut back
        }
      }
      return this.health.failed(e, lineCount(text));
    }
    this.health.ok();
    this.size += data.length;
    if (this.size >= this.options.maxSize) this.rotate();
  }
}
