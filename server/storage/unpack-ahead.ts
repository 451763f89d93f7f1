/**
 * Unpacking an upload while its pieces arrive (`update_chunk`), in the unpack thread,
 * so that little is left to do after the last byte.
 *
 * The pieces come in order into one buffer, here; this follows them entry by entry,
 * reading each local header (zip-format.ts) and streaming the entry's data, inflated,
 * into its file as the bytes come. Nothing here is trusted: it is work done early,
 * not a decision. Once the whole archive is there, `finish()` plans it from the
 * central directory exactly as a whole upload is planned (unpack.ts), and keeps a
 * file written ahead only if the plan has an entry at that local header's offset,
 * with the same path, whose declared size and CRC are the ones the bytes written had.
 * The rest is verified and written as usual. If anything was written ahead that the
 * plan does not account for (a local header the central directory does not list, a
 * file cut short), the folder is emptied and the whole archive unpacked the usual way.
 *
 * Writing ahead stops, quietly, at the first entry it cannot follow safely: a data
 * descriptor or ZIP64 sizes (the size is not in the local header), encryption, an
 * unknown method, an unsafe name, too many entries or bytes (worker.max_zip_entries,
 * max_unpacked_bytes, counted from the local headers), or any error. What it writes
 * stays within those limits and in the upload's own folder under .staging, which
 * nothing reads before the update succeeds, and which is removed if it fails.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { BrokerError } from '../../ipc/errors.js';
import {
  FILE_MODE,
  inflateData,
  normalize,
  planEntries,
  unpackPlanned,
  unsafeReason,
  type PlannedEntry,
  type UnpackLimits,
  type UnpackResult,
} from './unpack.js';
import { FLAG_DESCRIPTOR, FLAG_ENCRYPTED, LOCAL_HEADER_BYTES, METHOD_DEFLATED, METHOD_STORED, readLocalHeader, ZIP64_MARK } from './zip-format.js';

/** A file written ahead, by the offset of its local header. */
interface WrittenAhead {
  path: string;
  size: number;
  crc: number;
}

export class UnpackAhead {
  /** The upload, as its pieces arrive: only the first `received` bytes are written. */
  private readonly zip: Buffer;
  private received = 0;
  private stopped = false;
  private readonly written = new Map<number, WrittenAhead>();
  /** A file was begun and not finished: the folder holds something no plan accounts for. */
  private unfinished = false;
  private wake: (() => void) | null = null;
  private readonly running: Promise<void>;
  private readonly root: string;

  constructor(
    total: number,
    target: string,
    private readonly limits: UnpackLimits,
  ) {
    // Its own memory (not the pool's), freed with it; nothing past `received` is ever read.
    this.zip = Buffer.allocUnsafeSlow(total);
    this.root = resolve(target);
    this.running = this.run().catch(() => {}); // an error only stops the writing ahead: finish() does the rest
  }

  /** The next piece of the upload (what does not fit is an error of the caller, who checked it: cut off). */
  arrived(piece: Buffer): void {
    this.received += piece.copy(this.zip, this.received);
    this.wake?.();
  }

  /** The whole upload is in: check what was written ahead against the archive's plan, and unpack the rest. */
  async finish(): Promise<UnpackResult> {
    if (this.received !== this.zip.length) {
      await this.abandon();
      throw new BrokerError('E_INTERNAL', `the upload is incomplete (${this.received} of ${this.zip.length} bytes) where it is unpacked; send it again`);
    }
    await this.running;
    const plan = planEntries(this.zip, this.limits);
    const kept = this.keep(plan);
    if (kept === null) {
      await rm(this.root, { recursive: true, force: true });
      await mkdir(this.root, { recursive: true });
    }
    return unpackPlanned(plan, this.root, kept ?? new Set());
  }

  /** Stop writing ahead and remove what was written (the upload was dropped); resolves once done. */
  async abandon(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    await rm(this.root, { recursive: true, force: true });
  }

  /** The planned entries written ahead, or null when the folder holds anything else. */
  private keep(plan: PlannedEntry[]): Set<PlannedEntry> | null {
    if (this.unfinished) return null;
    const kept = new Set<PlannedEntry>();
    for (const p of plan) {
      const w = this.written.get(p.entry.header.offset);
      if (!w || p.dir) continue;
      if (w.path !== p.path || w.size !== p.entry.header.size || w.crc !== p.entry.header.crc) return null;
      kept.add(p);
    }
    return kept.size === this.written.size ? kept : null;
  }

  /** Wait until `end` bytes have arrived: false when they never will (all are in, or writing ahead stopped). */
  private async until(end: number): Promise<boolean> {
    while (!this.stopped && this.received < end) {
      if (this.received === this.zip.length) return false;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return !this.stopped;
  }

  private async run(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    let at = 0;
    let entries = 0;
    let declared = 0;
    while (await this.until(at + LOCAL_HEADER_BYTES)) {
      const h = readLocalHeader(this.zip, at);
      if (h === null || !(await this.until(h.dataAt))) return;
      if (h.flags & (FLAG_ENCRYPTED | FLAG_DESCRIPTOR) || (h.method !== METHOD_STORED && h.method !== METHOD_DEFLATED)) return;
      if (h.compressedSize === ZIP64_MARK || h.size === ZIP64_MARK) return;
      declared += h.size;
      if (++entries > this.limits.maxEntries || declared > this.limits.maxUnpackedBytes) return;
      const name = this.zip.toString('utf8', h.nameAt, h.nameAt + h.nameLength);
      const next = h.dataAt + h.compressedSize;
      if (!name.endsWith('/')) {
        const path = normalize(name);
        const file = resolve(this.root, path);
        if (unsafeReason(name) !== null || path === '' || !file.startsWith(this.root + sep)) return;
        this.unfinished = true;
        await mkdir(dirname(file), { recursive: true, mode: 0o755 });
        const source = new Readable({ read() {} });
        const writing = inflateData(source, { entryName: name, header: h }, createWriteStream(file, { flags: 'wx', mode: FILE_MODE }), true);
        writing.catch(() => {}); // handled below, once fed: a failure before that must not be an unhandled rejection
        if (!(await this.feed(source, h.dataAt, next))) {
          source.destroy();
          await writing.catch(() => {});
          return;
        }
        const { size, crc } = await writing;
        this.written.set(at, { path, size, crc });
        this.unfinished = false;
      }
      at = next;
    }
  }

  /** Push `zip[from, to)` into `source` as it arrives (views of the buffer, no copies): false if it stops arriving. */
  private async feed(source: Readable, from: number, to: number): Promise<boolean> {
    let at = from;
    while (at < to) {
      if (!(await this.until(at + 1))) return false;
      const end = Math.min(this.received, to);
      source.push(this.zip.subarray(at, end));
      at = end;
    }
    source.push(null);
    return true;
  }
}
