/**
 * Call counts and latency percentiles per name (a command, or `object.method`),
 * in bounded memory: each name keeps its last WINDOW durations in a fixed ring, and
 * at most `maxNames` names are tracked; later names share one `(other)` row, so a
 * client inventing method names cannot grow the table.
 */

/** The row that names past the limit share. */
export const OTHER = '(other)';

/** Durations kept per name for the percentiles: the most recent calls. */
const WINDOW = 256;

export interface LatencySummary {
  count: number;
  errors: number;
  /** Percentiles over the last WINDOW calls, in ms; null before the first call. */
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
  lastAt: string | null;
}

class LatencyRow {
  count = 0;
  errors = 0;
  totalMs = 0;
  lastAt = 0;
  private readonly samples = new Float64Array(WINDOW);
  private next = 0;
  private filled = 0;

  record(ms: number, ok: boolean, at: number): void {
    this.count++;
    if (!ok) this.errors++;
    this.totalMs += ms;
    this.lastAt = at;
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
  }

  summary(): LatencySummary {
    if (this.filled === 0) return { count: 0, errors: 0, p50Ms: null, p95Ms: null, maxMs: null, meanMs: null, lastAt: null };
    const sorted = this.samples.slice(0, this.filled).sort();
    return {
      count: this.count,
      errors: this.errors,
      p50Ms: round(quantile(sorted, 0.5)),
      p95Ms: round(quantile(sorted, 0.95)),
      maxMs: round(sorted[sorted.length - 1]!),
      meanMs: round(this.totalMs / this.count),
      lastAt: new Date(this.lastAt).toISOString(),
    };
  }
}

/** Nearest-rank quantile of sorted samples. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export class LatencyTable {
  private readonly rows = new Map<string, LatencyRow>();

  constructor(readonly maxNames: number) {}

  /** The row `name` is counted in: its own while there is room, else OTHER. */
  key(name: string): string {
    if (this.rows.has(name) || this.rows.size < this.maxNames - 1) return name;
    return OTHER;
  }

  /** Count one call; the row it went to. */
  record(name: string, ms: number, ok: boolean, at = Date.now()): string {
    const key = this.key(name);
    let row = this.rows.get(key);
    if (!row) this.rows.set(key, (row = new LatencyRow()));
    row.record(ms, ok, at);
    return key;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Calls and errors per row, without the percentile work. */
  *counts(): IterableIterator<[string, { count: number; errors: number }]> {
    for (const [name, row] of this.rows) yield [name, { count: row.count, errors: row.errors }];
  }

  summary(): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const [name, row] of this.rows) out[name] = row.summary();
    return out;
  }
}
