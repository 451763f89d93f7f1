/**
 * The recording format's names, shared by the writer (thread), the reader and the
 * Foxglove endpoint: no dependency here, so importing them loads neither @mcap/core nor
 * the WebAssembly zstd (the broker loads those only once it records or reads a file).
 */

export const MCAP_LIBRARY = 'robot-control';

/** Names of the metadata records a recording holds. Values are strings (MCAP metadata is a string map). */
export const METADATA = {
  /** At the start of every file: `started_at`, `reason`, `part`. */
  session: 'robot-control.session',
  /** Events the recorder could not keep: `count` since the previous record, `total`, `first_at`, `last_at`. */
  drops: 'robot-control.drops',
  /** At the end of a recording's last file: `ended_at`, `messages`, `dropped`. */
  summary: 'robot-control.summary',
} as const;

/** Nanoseconds since the epoch, as MCAP and Foxglove want them (µs precision: ms * 1e6 overflows a double's integers). */
export function nanoseconds(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}
