/**
 * An upload's bytes as they arrived, piece by piece, not put together: views of any
 * range (copying nothing), or a range copied into a buffer at its own offsets.
 * Copying 50 MiB into fresh memory costs ~35 ms here, most of it the first touch of
 * each page; a view costs nothing (unpack-ahead.ts copies only what it must read).
 */
export class Pieces {
  private parts: Buffer[] = [];
  /** Where each part starts in the whole. */
  private starts: number[] = [];
  private total = 0;

  /** Bytes appended so far. */
  get length(): number {
    return this.total;
  }

  append(piece: Buffer): void {
    if (piece.length === 0) return;
    this.parts.push(piece);
    this.starts.push(this.total);
    this.total += piece.length;
  }

  /** Views of the bytes [from, to) (within what arrived), in order. */
  *views(from: number, to: number): Generator<Buffer> {
    for (let i = this.partAt(from); i < this.parts.length && from < to; i++) {
      const start = this.starts[i]!;
      const part = this.parts[i]!;
      const end = Math.min(to, start + part.length);
      yield part.subarray(from - start, end - start);
      from = end;
    }
  }

  /** Copy the bytes [from, to) into `whole`, at the same offsets. */
  copyTo(whole: Buffer, from: number, to: number): void {
    for (const view of this.views(from, to)) from += view.copy(whole, from);
  }

  /** Let go of the pieces (their bytes are elsewhere now). */
  clear(): void {
    this.parts = [];
    this.starts = [];
  }

  /** The part holding byte `offset`: the last one starting at or before it. */
  private partAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
