/**
 * The recorder (main thread) and its writer thread talk in these messages. The main
 * thread only queues and posts batches of JSON (UTF-8); the thread does the MCAP work
 * (chunking, zstd, indexes, file writes, rotation), so none of it runs on the event
 * loop that relays commands and pushes. One thread serves recording after recording
 * (starting one is then instant); every answer names the recording it is about.
 */

/** One recording's files. */
export interface WriterSetup {
  dir: string;
  /** File name without `.mcap`; rotated parts are `<base>-2.mcap`, `<base>-3.mcap`, ... */
  base: string;
  /** Start the next part once a file holds this many bytes. */
  maxBytes: number;
  chunkBytes: number;
  /** Written into each file's session metadata. */
  session: Record<string, string>;
}

/**
 * A batch, built for a cheap postMessage: every buffer in it is transferred, not copied.
 * The main thread encodes each JSON text to UTF-8 once, end to end in one buffer; the
 * thread copies those bytes into its chunk. (Measured, 200,000 odometry-sized records:
 * with the texts joined in one string, cloned, split and encoded again in the thread,
 * 5.3 µs of CPU a record, most of it the thread's and the garbage collector's.)
 */
export interface Batch {
  /** Messages in the batch (the arrays may be longer). */
  count: number;
  /** Topic numbers (see `topics`), one per message. */
  topicIds: Uint32Array<ArrayBuffer>;
  /** ms since the epoch, one per message. */
  at: Float64Array<ArrayBuffer>;
  /** Where each message's bytes end in `data`; each starts where the one before ends. */
  ends: Uint32Array<ArrayBuffer>;
  /** The messages' JSON texts, UTF-8. */
  data: ArrayBuffer;
  /** Topics numbered in this batch for the first time. */
  topics: Array<{ id: number; topic: string; source: string }>;
  /** Queue bytes this batch held (the main thread's budget, returned once written). */
  cost: number;
}

export type ToWriter =
  | { type: 'open'; id: number; setup: WriterSetup }
  | ({ type: 'batch' } & Batch)
  | { type: 'drops'; count: number; total: number; firstAt: number; lastAt: number }
  | { type: 'close'; summary: Record<string, string> };

export type FromWriter = { id: number } & (
  | { type: 'opened'; file: string }
  | { type: 'written'; cost: number; messages: number; bytes: number }
  | { type: 'rotated'; file: string }
  | { type: 'closed'; files: string[]; messages: number; bytes: number }
  | { type: 'failed'; message: string; code: string | null }
);
