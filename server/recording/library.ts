/**
 * The recordings folder as the panel sees it: the list of finished files, one file's
 * summary, and its messages page by page. Plain functions of their inputs, answering
 * objects or throwing coded errors: routes.ts puts them on HTTP, whatever the router.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokerError } from '../../ipc/errors.js';
import type { Recorder, RecordingStatus } from './recorder.js';
import { readMessagePage, recordingInfo, type MessagePage, type RecordingInfo } from './recording-file.js';

/** Messages per page when the caller does not say, and the most it may ask for. */
export const PAGE = { default: 2000, max: 10_000 } as const;

/** Only plain file names in the folder: no paths, nothing hidden. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.mcap$/;

export interface RecordingEntry {
  name: string;
  bytes: number;
  modifiedAt: string;
  /** Still being written: not readable until the recording stops (or rotates past it). */
  active: boolean;
}

export interface RecordingList {
  dir: string;
  /** The recording in progress (or the last one), with its figures. */
  recording: RecordingStatus;
  /** Newest first. */
  files: RecordingEntry[];
}

export class RecordingLibrary {
  constructor(
    readonly dir: string,
    private readonly recorder: Recorder,
  ) {}

  async list(): Promise<RecordingList> {
    let names: string[] = [];
    try {
      names = (await readdir(this.dir)).filter((n) => NAME.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // no folder yet: nothing recorded
    }
    const files: RecordingEntry[] = [];
    for (const name of names) {
      const s = await stat(join(this.dir, name)).catch(() => null);
      if (s?.isFile()) files.push({ name, bytes: s.size, modifiedAt: s.mtime.toISOString(), active: this.recorder.isBeingWritten(join(this.dir, name)) });
    }
    files.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    return { dir: this.dir, recording: this.recorder.status(), files };
  }

  async info(name: string | null): Promise<RecordingInfo> {
    const path = this.finished(name);
    return { ...(await readable(name!, () => recordingInfo(path))), file: name! };
  }

  page(name: string | null, cursor: string | null, limit: string | null): Promise<MessagePage> {
    const path = this.finished(name);
    const n = limit === null ? PAGE.default : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > PAGE.max) {
      throw new BrokerError('E_INVALID_PAYLOAD', `limit: expected a whole number from 1 to ${PAGE.max}`, { field: 'limit' });
    }
    return readable(name!, () => readMessagePage(path, cursor, n));
  }

  /** The path of a finished recording called `name`, or a coded error. */
  private finished(name: string | null): string {
    if (name === null || !NAME.test(name)) {
      throw new BrokerError('E_INVALID_PAYLOAD', 'name: expected the file name of a recording (as GET /recordings lists it)', { field: 'name' });
    }
    const path = join(this.dir, name);
    if (this.recorder.isBeingWritten(path)) {
      throw new BrokerError('E_NO_RECORDING', `${name} is still being written: stop the recording first`, { name, reason: 'being written' });
    }
    return path;
  }
}

/** Run a read; a missing or unreadable file is E_NO_RECORDING, a bad cursor E_INVALID_PAYLOAD. */
async function readable<T>(name: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof RangeError && err.message.startsWith('cursor:')) throw new BrokerError('E_INVALID_PAYLOAD', err.message, { field: 'cursor' });
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new BrokerError('E_NO_RECORDING', `${name}: ${reason}`, { name, reason });
  }
}
