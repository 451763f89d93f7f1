/**
 * The recorder (main thread) and its writer thread talk in these messages. The main
 * thread only queues and posts batches of JSON text; the thread does the MCAP work
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
 * A batch, built for a cheap postMessage (measured: cloning arrays of small strings was
 * the recorder's largest cost on the broker's thread): the JSON texts joined by newlines
 * (JSON.stringify never writes one) in one string, times and topic numbers in typed
 * arrays that are transferred, not copied, and the topics first seen in this batch.
 */
export interface Batch {
  /** Topic numbers (see `topics`), one per message (the array may be longer: read as many as `json` holds). */
  topicIds: Uint32Array<ArrayBuffer>;
  /** ms since the epoch, one per message. */
  at: Float64Array<ArrayBuffer>;
  /** One JSON text per message, joined by "\n". */
  json: string;
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
