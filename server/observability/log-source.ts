/**
 * Reading a rotated log for the viewer: every file oldest first (`app.log.5` ...
 * `app.log.1`, `app.log`), and following the live file as it grows, across
 * rotations (the file is renamed away and a fresh one created under its name).
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** The files of a log, oldest first: file.N ... file.1, then file itself. */
export function logFiles(file: string): string[] {
  const dir = dirname(file);
  const base = basename(file);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = names
    .filter((n) => n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1)))
    .map((n) => Number(n.slice(base.length + 1)))
    .sort((a, b) => b - a)
    .map((n) => join(dir, `${base}.${n}`));
  return existsSync(file) ? [...rotated, file] : rotated;
}

/** Where the live file stood when reading began: `follow` goes on from there, so nothing falls in between. */
export interface LivePosition {
  file: string;
  ino: number;
  size: number;
}

export function livePosition(file: string): LivePosition | null {
  try {
    const s = statSync(file);
    return { file, ino: s.ino, size: s.size };
  } catch {
    return null;
  }
}

/**
 * Every non-empty line of `files`, in order; files last written before `sinceMs`
 * are skipped unread. With `upTo`, the live file is read up to that size only.
 */
export async function* readLines(files: readonly string[], sinceMs?: number, upTo?: LivePosition | null): AsyncGenerator<string> {
  for (const f of files) {
    try {
      if (sinceMs !== undefined && statSync(f).mtimeMs < sinceMs) continue;
    } catch {
      continue; // rotated away while we looked
    }
    const live = upTo && f === upTo.file;
    if (live && upTo.size === 0) continue;
    const input = createReadStream(f, { encoding: 'utf8', ...(live ? { end: upTo.size - 1 } : {}) });
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) if (line.length > 0) yield line;
  }
}

/**
 * Call `onLine` for each line appended to `file` from now on, until `signal`
 * aborts. Polls (cheap, and works on every file system); a rotation is seen as a
 * new inode or a shorter file: the old file is read to its end, then the new one
 * from its start.
 */
export async function follow(
  file: string,
  onLine: (line: string) => void,
  signal: AbortSignal,
  from: LivePosition | null,
  pollMs = 200,
): Promise<void> {
  let handle: FileHandle | null = null;
  let ino = -1;
  let position = 0;
  let partial = '';

  const openLive = async (start: LivePosition | null): Promise<void> => {
    try {
      handle = await open(file, 'r');
      const s = await handle.stat();
      ino = s.ino;
      // Go on where the first read stopped, if this is still that file.
      position = start && start.ino === s.ino ? start.size : 0;
    } catch {
      handle = null; // not there yet: try again at the next poll
    }
  };
  const drain = async (h: FileHandle): Promise<void> => {
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await h.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const lines = (partial + buffer.toString('utf8', 0, bytesRead)).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.length > 0) onLine(line);
    }
  };

  await openLive(from);
  try {
    while (!signal.aborted) {
      if (handle) await drain(handle);
      const now = await stat(file).catch(() => null);
      if (now && (now.ino !== ino || (handle && now.size < position))) {
        // Rotated (or truncated): finish the old file, then start the new one from the top.
        if (handle) {
          await drain(handle);
          await (handle as FileHandle).close();
        }
        partial = '';
        await openLive(null);
        continue;
      }
      if (!handle && now) {
        await openLive(null);
        continue;
      }
      await sleep(pollMs, undefined, { signal }).catch(() => {});
    }
  } finally {
    await (handle as FileHandle | null)?.close();
  }
}
