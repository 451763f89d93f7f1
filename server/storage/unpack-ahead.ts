/**
 * Unpacking an upload while its pieces arrive (`update_chunk`), in the unpack thread,
 * so that little is left to do after the last byte.
 *
 * The pieces are kept as they come (pieces.ts); this follows them entry by entry,
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
 * The plan needs the archive in one buffer (adm-zip), but not the data of the files
 * written ahead: those ranges are left out (zeros, their pages never touched) when
 * that provably changes nothing. They stop short of the end records' window and of
 * every central directory an end record there names, and the plan must have
 * read no local header, and no data it is to write, from them; otherwise they are
 * copied in and the archive planned again from every byte.
 *
 * Once the upload is complete, writing ahead stops after the entry it is writing: the
 * archive's plan is checked then, so a refusal (10,001 entries, a lie in the central
 * directory) does not wait for thousands of files ahead, and what was not written ahead
 * is unpacked from the whole, once, as it would have been ahead.
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
import { Pieces } from './pieces.js';
import { normalize, unsafeReason } from './entry-names.js';
import { inflateData } from './inflate.js';
import { FILE_MODE, planEntries, unpackPlanned, type PlannedEntry, type UnpackLimits, type UnpackResult } from './unpack.js';
import {
  centralDirectoryFloor,
  END_SEARCH_BYTES,
  FLAG_DESCRIPTOR,
  FLAG_ENCRYPTED,
  LOCAL_HEADER_BYTES,
  METHOD_DEFLATED,
  METHOD_STORED,
  readLocalHeader,
  ZIP64_MARK,
} from './zip-format.js';

/** A file written ahead, by the offset of its local header; its data is the archive's bytes [dataAt, dataEnd). */
interface WrittenAhead {
  path: string;
  size: number;
  crc: number;
  dataAt: number;
  dataEnd: number;
}

type Range = readonly [from: number, to: number];

export class UnpackAhead {
  /** The upload's bytes, as they arrive. */
  private readonly pieces = new Pieces();
  /** The upload in one buffer, for the parsers: zeros except where copied from `pieces` (each local header as it is read; at the end, see plan()). */
  private readonly zip: Buffer;
  private stopped = false;
  /** The upload is complete: stop after the entry being written (finish() plans and unpacks the rest). */
  private finishing = false;
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
    // Zero-filled lazily by the allocator: a page costs only once something is copied into it.
    this.zip = Buffer.alloc(total);
    this.root = resolve(target);
    this.running = this.run().catch(() => {}); // an error only stops the writing ahead: finish() does the rest
  }

  /** The next piece of the upload (what does not fit is an error of the caller, who checked it: cut off). */
  arrived(piece: Buffer): void {
    this.pieces.append(piece.subarray(0, this.zip.length - this.received));
    this.wake?.();
  }

  private get received(): number {
    return this.pieces.length;
  }

  /** Settles once writing ahead has stopped: at an entry it cannot follow or write, at finish() or at abandon(). */
  get writingStopped(): Promise<void> {
    return this.running;
  }

  /** The whole upload is in: check what was written ahead against the archive's plan, and unpack the rest. */
  async finish(): Promise<UnpackResult> {
    if (this.received !== this.zip.length) {
      await this.abandon();
      throw new BrokerError('E_INTERNAL', `the upload is incomplete (${this.received} of ${this.zip.length} bytes) where it is unpacked; send it again`);
    }
    this.finishing = true;
    await this.running;
    const skipped = this.copyAllButData();
    const plan = this.plan(skipped);
    const kept = this.keep(plan);
    if (kept === null) {
      this.fill(skipped); // every entry is unpacked from the archive now
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

  /**
   * Copy the upload into the whole but the data of the files written ahead, as far as the
   * plan cannot read it: up to the end records' window and every central directory named
   * there. Returns the ranges left out, in order.
   */
  private copyAllButData(): Range[] {
    const total = this.zip.length;
    const window = Math.max(0, total - END_SEARCH_BYTES);
    this.pieces.copyTo(this.zip, window, total);
    const before = Math.min(window, centralDirectoryFloor(this.zip, window));
    const skipped: Range[] = [];
    for (const w of this.written.values()) {
      const to = Math.min(w.dataEnd, before);
      if (w.dataAt < to) skipped.push([w.dataAt, to]);
    }
    skipped.sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [from, to] of skipped) {
      this.pieces.copyTo(this.zip, at, from);
      at = to;
    }
    this.pieces.copyTo(this.zip, at, window);
    return skipped;
  }

  /** Plan the archive from every byte but `skipped`, if that plan read nothing from them; else from every byte. */
  private plan(skipped: Range[]): PlannedEntry[] {
    if (skipped.length > 0) {
      try {
        const plan = planEntries(this.zip, this.limits);
        if (!plan.some((p) => this.readsFrom(p, skipped))) return plan;
      } catch {
        // planned again below, from every byte: that plan's error is the archive's
      }
      this.fill(skipped);
    }
    return planEntries(this.zip, this.limits);
  }

  /** Whether planning or unpacking `p` reads bytes in `skipped`: its local header, or its data unless it was written ahead. */
  private readsFrom(p: PlannedEntry, skipped: Range[]): boolean {
    const { offset, realDataOffset, compressedSize } = p.entry.header;
    const end = this.written.has(offset) ? realDataOffset : realDataOffset + compressedSize;
    return skipped.some(([from, to]) => offset < to && from < Math.max(end, offset + LOCAL_HEADER_BYTES));
  }

  /** Copy in what was left out: the whole now holds every byte, and the pieces are let go (once done, this does nothing). */
  private fill(skipped: Range[]): void {
    for (const [from, to] of skipped) this.pieces.copyTo(this.zip, from, to);
    this.pieces.clear();
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
    while (!this.finishing && (await this.until(at + LOCAL_HEADER_BYTES))) {
      this.pieces.copyTo(this.zip, at, at + LOCAL_HEADER_BYTES);
      const h = readLocalHeader(this.zip, at);
      if (h === null || !(await this.until(h.dataAt))) return;
      this.pieces.copyTo(this.zip, h.nameAt, h.dataAt);
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
        this.written.set(at, { path, size, crc, dataAt: h.dataAt, dataEnd: next });
        this.unfinished = false;
      }
      at = next;
    }
  }

  /** Push the bytes [from, to) into `source` as they arrive (views of the pieces, no copies): false if they stop arriving. */
  private async feed(source: Readable, from: number, to: number): Promise<boolean> {
    let at = from;
    while (at < to) {
      if (!(await this.until(at + 1))) return false;
      const end = Math.min(this.received, to);
      for (const view of this.pieces.views(at, end)) source.push(view);
      at = end;
    }
    source.push(null);
    return true;
  }
}
