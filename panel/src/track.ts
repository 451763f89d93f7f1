/**
 * One event's plotted history, downsampled as it arrives: time is cut into steps,
 * and each step holds one point (the newest value and time in it). And the rules that
 * read it: which numbers an event carries, which fields start hidden or go on the
 * right-hand axis. No DOM and no imports: they run without a browser (the sampling
 * rule is tested so, in tests/panel/track.test.ts).
 */

export interface Track {
  /** Seconds (uPlot's time unit), one per point. */
  t: number[];
  fields: string[];
  /** One column per field, as long as `t`: null where an event did not carry the field. */
  cols: Map<string, Array<number | null>>;
  /**
   * When the newest point's step began (its first event's time), in ms: whole
   * numbers, so a step is exact (in seconds, 1000.1 - 1000 < 0.1). The point itself
   * moves to each newer event's time, so the step is measured from here, not from
   * the point: measured from the point, a steady stream (gaps shorter than a step)
   * would never append, and the plot would hold one sliding point forever.
   */
  stepFrom: number;
}

export function newTrack(): Track {
  return { t: [], fields: [], cols: new Map(), stepFrom: 0 };
}

/**
 * Add one event's numbers, taken at `at` (ms). Within `stepMs` of the start of the
 * newest point's step it overwrites that point; later, it appends one. So a window of
 * W ms holds at most W / stepMs + 2 points, however fast the stream.
 */
export function sample(track: Track, at: number, values: Map<string, number>, stepMs: number, maxFields: number): void {
  const t = at / 1000;
  const n = track.t.length;
  const append = n === 0 || at - track.stepFrom >= stepMs;
  if (append) {
    track.t.push(t);
    track.stepFrom = at;
  } else {
    track.t[n - 1] = t;
  }
  for (const [field, v] of values) {
    let col = track.cols.get(field);
    if (!col) {
      if (track.fields.length >= maxFields) continue;
      col = new Array<number | null>(track.t.length - 1).fill(null);
      col.push(v);
      track.cols.set(field, col);
      track.fields.push(field);
      continue;
    }
    if (append) col.push(v);
    else col[col.length - 1] = v;
  }
  // Fields this event did not carry: a gap, not a repeat of an old value.
  if (append) for (const col of track.cols.values()) if (col.length < track.t.length) col.push(null);
}

/** Drop points older than `oldest` (seconds), in one splice rather than one shift per point. */
export function trim(track: Track, oldest: number): void {
  let cut = 0;
  while (cut < track.t.length && track.t[cut]! < oldest) cut++;
  if (cut === 0) return;
  track.t.splice(0, cut);
  for (const col of track.cols.values()) col.splice(0, cut);
}

/** The numbers in an event's data: top-level fields and one level of nesting (pose.x). */
export function numericFields(data: unknown, maxFields: number): Map<string, number> {
  const out = new Map<string, number>();
  if (typeof data === 'number' && Number.isFinite(data)) out.set('value', data);
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(obj)) {
      if (out.size >= maxFields) return;
      if (typeof v === 'number' && Number.isFinite(v)) out.set(prefix + k, v);
      else if (depth === 0 && v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${prefix}${k}.`, 1);
    }
  };
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) walk(data as Record<string, unknown>, '', 0);
  return out;
}

/** A column of epoch-like values (ms or s since 1970): a clock, not a signal. */
export function looksLikeEpoch(col: Array<number | null>): boolean {
  const v = col.find((x) => x !== null);
  return v !== undefined && v !== null && Math.abs(v) > 1e11;
}

/**
 * Fields whose size dwarfs the rest (battery % next to metres) go on a right-hand
 * axis: split at the widest gap between magnitudes, if it is over 10x.
 */
export function rightAxisFields(track: Track, hidden: Set<string>): Set<string> {
  const mags: Array<[string, number]> = [];
  for (const f of track.fields) {
    if (hidden.has(f)) continue;
    let m = 0;
    for (const v of track.cols.get(f)!) if (v !== null) m = Math.max(m, Math.abs(v));
    if (m > 0) mags.push([f, Math.log10(m)]);
  }
  mags.sort((a, b) => a[1] - b[1]);
  let gap = 0;
  let at = -1;
  for (let i = 1; i < mags.length; i++) {
    const d = mags[i]![1] - mags[i - 1]![1];
    if (d > gap) [gap, at] = [d, i];
  }
  if (gap < 1 || at < 0) return new Set();
  return new Set(mags.slice(at).map(([f]) => f));
}
