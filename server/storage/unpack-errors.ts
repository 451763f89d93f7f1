/**
 * What each refusal of an archive says (unpack.ts, unpack-ahead.ts): the code a client
 * branches on, a message naming the entry (quoted and cut short), and details.
 */
import { BrokerError } from '../../ipc/errors.js';

/** Longest entry name accepted, in bytes (well under PATH_MAX with the storage prefix). */
export const PATH_MAX = 1024;

export function unsafe(entry: string, reason: string): BrokerError {
  return new BrokerError('E_UNSAFE_ZIP', `unsafe entry ${quote(entry)}: ${reason}`, { entry: entry.slice(0, PATH_MAX), reason });
}

/** The entry's data is not the size its headers declare. `stopped`: inflating was cut off past the declared size. */
export function sizeMismatch(entry: string, declared: number, inflated: number, stopped = false): BrokerError {
  const reason = `the headers declare ${declared} bytes; the data inflates to ${stopped ? `more (stopped at ${inflated})` : inflated}`;
  return new BrokerError('E_UNSAFE_ZIP', `unsafe entry ${quote(entry)}: ${reason}`, { entry: entry.slice(0, PATH_MAX), reason, declared, inflated });
}

/** Write errors: a full disk or quota is E_DISK_FULL (the upload is discarded, nothing else changes). `path`: the folder written to. */
export function writeError(err: unknown, entry: string, path: string): BrokerError {
  if (err instanceof BrokerError) return err;
  if (diskFull(err)) {
    return new BrokerError('E_DISK_FULL', `the disk is full (${(err as NodeJS.ErrnoException).code}) while unpacking ${quote(entry)}; free space and upload again`, {
      path,
      entry,
    });
  }
  return new BrokerError('E_INVALID_ZIP', `entry ${quote(entry)} could not be unpacked: ${cleanMessage(err)}`, { entry });
}

export function diskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function tooLarge(limit: number, entry: string): BrokerError {
  return new BrokerError('E_ZIP_LIMIT', `the ZIP unpacks to more than ${limit} bytes (worker.max_unpacked_bytes)`, { limit, entry });
}

export function tooManyEntries(entries: number, limit: number): BrokerError {
  return new BrokerError('E_ZIP_LIMIT', `the ZIP has ${entries} entries; the limit is ${limit} (worker.max_zip_entries)`, { entries, limit });
}

/** An entry name for a message: quoted, and cut short (names may be 64 KB of anything). */
export function quote(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

/** adm-zip prefixes its messages with "ADM-ZIP: "; the client does not need to know the library. */
export function cleanMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^ADM-ZIP: /, '');
}
