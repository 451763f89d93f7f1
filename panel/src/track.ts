/**
 * One event's plotted history, downsampled as it arrives: time is cut into steps,
 * and each step holds one point (the newest value and time in it). No DOM and no
 * imports, so the sampling rule is tested on its own (tests/panel/track.test.ts).
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
