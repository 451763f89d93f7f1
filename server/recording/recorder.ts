/**
 * The recording switch: on, everything the session tap sees goes to an MCAP file in
 * `dir` (rotated past `maxBytes`); off, the file is finished and the tap let go. One
 * recording at a time; `start` and `stop` run one after the other, never interleaved.
 * The broker uses it for `recording.enabled` and the `record` event; the CLI uses it
 * to record what it sees on /monitor.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { RecordingRun } from './recording-run.js';
import type { TapConsumer } from './tap.js';
import { WriterThread } from './writer.js';

/** Chunks of 1 MiB (smaller when files are small, so a file holds several). */
const CHUNK_BYTES = 1024 * 1024;

export interface RecorderOptions {
  dir: string;
  maxBytes: number;
  maxQueueBytes: number;
  log: Logger;
  /** Where records come from: the session tap's `subscribe`, or the CLI's monitor feed. */
  subscribe(consumer: TapConsumer): () => void;
}

/** The recording now, or the last one. Paths are absolute. */
export interface RecordingStatus {
  active: boolean;
  /** The file being written (or the last one written). */
  file: string | null;
  /** Every part of this recording, oldest first. */
  files: string[];
  reason: string | null;
  startedAt: string | null;
  messages: number;
  bytes: number;
  /** Events this recording could not keep (its queue was full). */
  dropped: number;
  queueBytes: number;
  /** Why the last recording stopped on its own (its writer failed), if it did. */
  error: string | null;
}

/** A recording's file name: its start time, UTC, sortable. */
export function recordingBase(at: Date): string {
  return `robot-control-${at.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\.(\d+)Z$/, '-$1')}`;
}

export class Recorder {
  private run: RecordingRun | null = null;
  private reason: string | null = null;
  private active = false;
  private unsubscribe: (() => void) | null = null;
  private op: Promise<unknown> = Promise.resolve();
  private readonly writer = new WriterThread();

  constructor(private readonly o: RecorderOptions) {}

  /** Start recording (nothing happens when already on). Rejects when the file cannot be made. */
  start(reason: string, base?: string): Promise<RecordingStatus> {
    return this.serial(async () => {
      if (this.active) return this.status();
      await mkdir(this.o.dir, { recursive: true });
      const run = new RecordingRun(
        this.writer,
        {
          dir: this.o.dir,
          base: base ?? this.freeBase(),
          maxBytes: this.o.maxBytes,
          chunkBytes: Math.max(64 * 1024, Math.min(CHUNK_BYTES, Math.floor(this.o.maxBytes / 8))),
          session: { started_at: new Date().toISOString(), reason },
        },
        this.o.maxQueueBytes,
        (r) => this.failed(r),
      );
      this.run = run;
      this.reason = reason;
      this.active = true;
      // Listening at once: what happens while the file is being created is queued, not lost.
      this.unsubscribe = this.o.subscribe(run.offer);
      try {
        await run.ready();
      } catch (err) {
        this.detach();
        throw err;
      }
      this.o.log.info({ event: 'recording_started', file: run.file, reason }, 'recording started');
      return this.status();
    });
  }

  /** Stop recording and finish the file (nothing happens when already off). */
  stop(reason = 'stopped'): Promise<RecordingStatus> {
    return this.serial(async () => {
      const run = this.run;
      if (!this.active || !run) return this.status();
      this.detach();
      await run.finish({ ended_at: new Date().toISOString(), reason });
      if (run.error) this.o.log.error({ event: 'recording_failed', file: run.file, error: run.error }, 'recording could not be finished');
      else this.o.log.info({ event: 'recording_stopped', file: run.file, messages: run.messages, bytes: run.bytes, dropped: run.dropped }, 'recording stopped');
      return this.status();
    });
  }

  /** Stop recording and let the writer thread go. */
  async close(reason = 'closing'): Promise<void> {
    await this.stop(reason);
    await this.writer.terminate();
  }

  status(): RecordingStatus {
    const r = this.run;
    return {
      active: this.active,
      file: r?.file ?? null,
      files: r ? [...r.files] : [],
      reason: this.reason,
      startedAt: r ? new Date(r.startedAt).toISOString() : null,
      messages: r?.messages ?? 0,
      bytes: r?.bytes ?? 0,
      dropped: r?.dropped ?? 0,
      queueBytes: r?.queueBytes ?? 0,
      error: r?.error ?? null,
    };
  }

  /** The file of the recording in progress, if any: not readable until finished. */
  isBeingWritten(path: string): boolean {
    return this.active && this.run?.file === path;
  }

  private failed(run: RecordingRun): void {
    if (run !== this.run || !this.active) return;
    this.detach();
    this.o.log.error({ event: 'recording_failed', file: run.file, error: run.error }, `recording stopped: ${run.error}`);
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.active = false;
  }

  /** A name no file in `dir` has yet (two recordings in the same millisecond get -a, -b...). */
  private freeBase(): string {
    const stamp = recordingBase(new Date());
    let base = stamp;
    for (let i = 0; existsSync(join(this.o.dir, `${base}.mcap`)); i++) base = `${stamp}-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? i : ''}`;
    return base;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.op.then(fn, fn);
    this.op = next.catch(() => {});
    return next;
  }
}
