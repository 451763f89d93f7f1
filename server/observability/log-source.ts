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

/** Every non-empty line of `files`, in order; files last written before `sinceMs` are skipped unread. */
export async function* readLines(files: readonly string[], sinceMs?: number): AsyncGenerator<string> {
  for (const f of files) {
    try {
      if (sinceMs !== undefined && statSync(f).mtimeMs < sinceMs) continue;
    } catch {
      continue; // rotated away while we looked
    }
    const rl = createInterface({ input: createReadStream(f, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of rl) if (line.length > 0) yield line;
  }
}

/**
 * Call `onLine` for each line appended to `file` from now on, until `signal`
 * aborts. Polls (cheap, and works on every file system); a rotation is seen as a
 * new inode or a shorter file: the old file is read to its end, then the new one
 * from its start.
 */
export async function follow(file: string, onLine: (line: string) => void, signal: AbortSignal, pollMs = 200): Promise<void> {
  let handle: FileHandle | null = null;
  let ino = -1;
  let position = 0;
  let partial = '';

  const openLive = async (fromEnd: boolean): Promise<void> => {
    try {
      handle = await open(file, 'r');
      const s = await handle.stat();
      ino = s.ino;
      position = fromEnd ? s.size : 0;
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

  await openLive(true);
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
        await openLive(false);
        continue;
      }
      if (!handle && now) {
        await openLive(false);
        continue;
      }
      await sleep(pollMs, undefined, { signal }).catch(() => {});
    }
  } finally {
    await (handle as FileHandle | null)?.close();
  }
}
