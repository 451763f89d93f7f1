/**
 * The plot's downsampling (panel/src/track.ts), without a browser: one point per
 * step, however fast the stream, and a point per step even when the stream never
 * pauses. The browser tests see this only through timing; here it is exact.
 */
import { describe, expect, it } from 'vitest';
import { newTrack, sample, trim } from '../../panel/src/track.js';

const STEP = 100; // ms: the 2-min window / 1,200 points
const v = (o: Record<string, number>) => new Map(Object.entries(o));

/** `count` events `every` ms apart from t=1,000,000 ms, each with value = its index. */
function stream(count: number, every: number, track = newTrack(), from = 1_000_000) {
  for (let i = 0; i < count; i++) sample(track, from + i * every, v({ i }), STEP, 12);
  return track;
}

describe('plot track sampling', () => {
  it('a steady stream faster than a step still gets one point per step', () => {
    // 1,000 events/s for 3 s: no gap ever reaches a step. The old rule measured the
    // step from the (moving) newest point and kept one point for the whole stream.
    const track = stream(3000, 1);
    expect(track.t.length).toBe(30);
    const gaps = track.t.slice(1).map((t, k) => Math.round((t - track.t[k]!) * 1000));
    expect(new Set(gaps)).toEqual(new Set([STEP]));
    // Each point carries the newest value and time of its step.
    expect(track.t.at(-1)).toBe((1_000_000 + 2999) / 1000);
    expect(track.cols.get('i')!.at(-1)).toBe(2999);
    expect(track.cols.get('i')![0]).toBe(99);
  });

  it('telemetry every 20 ms: a point every 100 ms', () => {
    expect(stream(50, 20).t.length).toBe(10);
  });

  it('a stream slower than a step keeps every event', () => {
    const track = stream(20, 250);
    expect(track.t.length).toBe(20);
    expect(track.cols.get('i')).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('stays bounded: a window holds at most window/step + 2 points', () => {
    const track = newTrack();
    const windowMs = 120_000;
    let now = 1_000_000;
    // 10 min at 1,000 events/s, trimmed to the window as the plot does.
    for (let s = 0; s < 600; s++) {
      stream(1000, 1, track, now);
      now += 1000;
      trim(track, (now - windowMs) / 1000);
    }
    expect(track.t.length).toBeGreaterThanOrEqual(windowMs / STEP - 1);
    expect(track.t.length).toBeLessThanOrEqual(windowMs / STEP + 2);
    for (const col of track.cols.values()) expect(col.length).toBe(track.t.length);
  });

  it('a field that shows up later, or goes missing, leaves gaps (null), not repeats', () => {
    const track = newTrack();
    sample(track, 0, v({ x: 1 }), STEP, 12);
    sample(track, 200, v({ x: 2, y: 20 }), STEP, 12);
    sample(track, 250, v({ y: 25 }), STEP, 12); // same step: overwrites y, keeps x
    sample(track, 400, v({ y: 40 }), STEP, 12);
    expect(track.t).toEqual([0, 0.25, 0.4]);
    expect(track.cols.get('x')).toEqual([1, 2, null]);
    expect(track.cols.get('y')).toEqual([null, 25, 40]);
  });

  it('trim drops only what is older than the window, from every column', () => {
    const track = stream(10, 1000, newTrack(), 0);
    trim(track, 4.5);
    expect(track.t).toEqual([5, 6, 7, 8, 9]);
    expect(track.cols.get('i')).toEqual([5, 6, 7, 8, 9]);
    trim(track, 100);
    expect(track.t).toEqual([]);
    expect(track.cols.get('i')).toEqual([]);
  });
});
