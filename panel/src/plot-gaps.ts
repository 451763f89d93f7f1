/**
 * Stretches of time whose events were lost (replay.ts), marked on the live plot: a
 * shaded band with dashed edges, from the last event before the loss to the first one
 * after it, and the series lines break there instead of drawing a straight line across.
 */
import type uPlot from 'uplot';

interface Gap {
  /** ms on this clock; `to` is null until the next event comes. */
  from: number;
  to: number | null;
  label: string;
}

/** Marks kept: older ones leave with the window anyway. */
const MAX_GAPS = 50;
const COLOR = '#f2555a';

export class GapMarks {
  private gaps: Gap[] = [];

  get count(): number {
    return this.gaps.length;
  }

  open(from: number, label: string): void {
    this.gaps.push({ from, to: null, label });
    if (this.gaps.length > MAX_GAPS) this.gaps.shift();
  }

  /** An event at `at`: the gaps still open end there. Called for every event, so only the newest are looked at. */
  close(at: number): void {
    for (let i = this.gaps.length - 1; i >= 0 && this.gaps[i]!.to === null; i--) this.gaps[i]!.to = Math.max(at, this.gaps[i]!.from);
  }

  /** Forget the marks that ended before `oldest` (ms). */
  trim(oldest: number): void {
    if (this.gaps.length && (this.gaps[0]!.to ?? Infinity) < oldest) this.gaps = this.gaps.filter((g) => (g.to ?? Infinity) >= oldest);
  }

  /** Canvas pixels of each gap, in order, merged where they overlap. */
  private pixels(u: uPlot): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const g of this.gaps) {
      const from = u.valToPos(g.from / 1000, 'x', true);
      const to = g.to === null ? from : u.valToPos(g.to / 1000, 'x', true);
      const last = out[out.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else out.push([from, to]);
    }
    return out;
  }

  /** uPlot's `series.gaps` refiner: the lost stretches, not the nulls (a field an event lacked is spanned, as before). */
  readonly seriesGaps = (u: uPlot): Array<[number, number]> => this.pixels(u).filter(([a, b]) => b > a);

  /** uPlot's `draw` hook: the band, its dashed edges, and what was lost. */
  readonly draw = (u: uPlot): void => {
    const { ctx, bbox } = u;
    const dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    for (const g of this.gaps) {
      const from = u.valToPos(g.from / 1000, 'x', true);
      const to = g.to === null ? from : u.valToPos(g.to / 1000, 'x', true);
      if (to < bbox.left || from > bbox.left + bbox.width) continue;
      ctx.fillStyle = 'rgba(242, 85, 90, 0.12)';
      ctx.fillRect(from, bbox.top, to - from, bbox.height);
      ctx.strokeStyle = COLOR;
      ctx.lineWidth = dpr;
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath();
      for (const x of to > from ? [from, to] : [from]) {
        ctx.moveTo(Math.round(x) + 0.5, bbox.top);
        ctx.lineTo(Math.round(x) + 0.5, bbox.top + bbox.height);
      }
      ctx.stroke();
      // Right of the band, or left of it where the plot ends.
      const text = `⚠ ${g.label}`;
      const width = ctx.measureText(text).width;
      const x = to + 4 * dpr + width <= bbox.left + bbox.width ? to + 4 * dpr : from - 4 * dpr - width;
      ctx.fillStyle = COLOR;
      ctx.fillText(text, x, bbox.top + 4 * dpr);
    }
    ctx.restore();
  };
}
