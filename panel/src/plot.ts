/**
 * A live plot of the numeric fields of one event (odometry's x, y, battery;
 * recognition_result's confidence...) over the last minutes, drawn with uPlot.
 *
 * Every event with numbers is sampled as it arrives (cheap: a few array writes),
 * so switching to another event shows its history at once. Each series keeps at
 * most POINTS points per window: time is cut into steps of windowMs / POINTS, and
 * an event in the same step as the newest point overwrites it instead of appending,
 * so 1,000 events/s cost the same to draw as 10. The chart is redrawn at most ten
 * times a second, on an animation frame.
 *
 * It tells the truth: after an upload it starts over with the new project's events
 * (reset); the newest point of each series is drawn, so one sample is a dot on a
 * sane axis; values that stopped coming (or a lost connection) are marked stale; where
 * events were lost (replay.ts) the lines break over a marked band (plot-gaps.ts). An
 * event with `x` and `y` (odometry) can also be seen as its XY trajectory.
 */
import uPlot from 'uplot';
import { $, h, perFrame, stored } from './dom.js';
import { GapMarks } from './plot-gaps.js';
import { looksLikeEpoch, newTrack, numericFields, rightAxisFields, sample, trim, type Track } from './track.js';
import { XYView } from './xy-view.js';

const POINTS = 1200;
const MAX_FIELDS = 12;
const MAX_EVENTS = 24;
const REDRAW_MS = 100;
const COLORS = ['#4aa3ff', '#f5a524', '#3fb950', '#e5484d', '#b48cff', '#2ec4b6', '#ff7ab6', '#c9d1d9', '#a3e635', '#fb923c', '#60a5fa', '#f472b6'];
/** Fields hidden at first: clocks and counters drown out the signal. */
const HIDDEN_BY_NAME = /^(timestamp|time|ts|t|at|date|id|seq|count|index|i|n|generation|pid)$/i;
const PREFS_KEY = 'robot-control.plot';
/** The x axis spans at least this long (s): a single sample sits on a readable axis, not on years. */
const MIN_SPAN_S = 10;
/** No new sample for this long (and for 4 of the event's usual gaps) marks the values stale. */
const STALE_MS = 3000;

export class LivePlot {
  private readonly box = $('plot');
  private readonly empty = $('plot-empty');
  private readonly picker = $<HTMLSelectElement>('plot-event');
  private readonly windowPicker = $<HTMLSelectElement>('plot-window');
  private readonly tracks = new Map<string, Track>();
  private readonly hidden = new Map<string, Set<string>>();
  /** The event on screen. */
  private event: string | null = null;
  /** The event chosen last time (localStorage): shown as soon as it arrives. */
  private preferred: string | null;
  private windowMs: number;
  private chart: uPlot | null = null;
  /** The field list the chart was built with: a new field means a rebuild. */
  private built = '';
  private lastDraw = 0;
  private drawTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly schedule = perFrame(() => this.draw());
  private readonly card = $('plot-card');
  private readonly staleBadge = $('plot-stale');
  private readonly viewPicker = $<HTMLSelectElement>('plot-view');
  private readonly xyBox = $('plot-xy');
  private readonly xy = new XYView(this.xyBox);
  /** Arrival time of each event's newest sample, and its usual gap (a moving average), ms. */
  private readonly arrivals = new Map<string, { at: number; gap: number }>();
  /** False while the connection is down: whatever is on screen is the last that came. */
  private live = true;
  /** Where events were lost: marked, and no line drawn across. */
  private readonly gaps = new GapMarks();

  constructor() {
    const prefs = stored.get<{ event?: string; windowMs?: number }>(localStorage, PREFS_KEY, {});
    this.preferred = prefs.event ?? null;
    this.windowMs = prefs.windowMs ?? 120_000;
    this.windowPicker.value = String(this.windowMs);
    if (this.windowPicker.value !== String(this.windowMs)) {
      this.windowMs = 120_000;
      this.windowPicker.value = '120000';
    }
    this.picker.addEventListener('change', () => {
      this.preferred = this.picker.value || null;
      this.choose(this.preferred);
    });
    this.windowPicker.addEventListener('change', () => {
      this.windowMs = Number(this.windowPicker.value);
      this.savePrefs();
      this.schedule();
    });
    this.viewPicker.addEventListener('change', () => {
      this.built = '';
      this.schedule();
    });
    new ResizeObserver(() => this.resize()).observe(this.box);
    new ResizeObserver(() => {
      if (!this.xyBox.hidden) this.schedule();
    }).observe(this.xyBox);
    // "last sample N s ago" moves on while nothing arrives.
    setInterval(() => this.renderStale(), 1000);
  }

  /** A new project: its events replace the old project's (the preferred event is kept, and chosen when it shows up). */
  reset(): void {
    this.tracks.clear();
    this.hidden.clear();
    this.arrivals.clear();
    for (const option of [...this.picker.options]) if (option.value !== '') option.remove();
    this.choose(null);
  }

  /** The connection came or went. */
  setLive(live: boolean): void {
    this.live = live;
    this.renderStale();
  }

  /** Events from `from` (ms) until the next one were lost: a mark on every event's plot. */
  markGap(from: number, label: string): void {
    this.gaps.open(from, label);
    this.schedule();
  }

  /** Sample an event's numbers. Called for every event: no DOM work here. */
  add(name: string, data: unknown, at = Date.now()): void {
    this.gaps.close(at);
    const values = numericFields(data, MAX_FIELDS);
    if (values.size === 0) return;
    const seen = this.arrivals.get(name);
    const gap = seen ? Math.min(at - seen.at, 60_000) : 0;
    // The first gap is taken whole: a slow event (one every 5 s) is not called stale while the average warms up.
    this.arrivals.set(name, { at, gap: !seen ? 0 : seen.gap === 0 ? gap : seen.gap * 0.8 + gap * 0.2 });
    let track = this.tracks.get(name);
    if (!track) {
      if (this.tracks.size >= MAX_EVENTS) return;
      track = newTrack();
      this.tracks.set(name, track);
      this.picker.append(h('option', { text: name }));
      // The first event with numbers is plotted, until the preferred one shows up.
      if (this.event === null || (name === this.preferred && this.event !== name)) this.choose(name);
    }
    sample(track, at, values, this.windowMs / POINTS, MAX_FIELDS);
    // Events not on screen are trimmed here; the one on screen, when drawn.
    if (track.t.length > POINTS * 1.5) this.trim(track);
    if (name === this.event) this.schedule();
  }

  choose(name: string | null): void {
    this.event = name;
    this.picker.value = name ?? '';
    this.built = '';
    this.schedule();
  }

  /** Mark the values on screen stale when they stopped coming, or the connection is down. */
  private renderStale(): void {
    const a = this.event === null ? undefined : this.arrivals.get(this.event);
    const age = a ? Date.now() - a.at : 0;
    const stale = !!a && (!this.live || age > Math.max(STALE_MS, a.gap * 4));
    this.card.classList.toggle('stale', stale);
    this.box.dataset.stale = stale ? '1' : '';
    this.staleBadge.hidden = !stale;
    if (stale) {
      this.staleBadge.textContent = this.live ? `stale · last ${this.event} ${Math.round(age / 1000)} s ago` : 'stale · not connected';
      this.staleBadge.title = 'The values shown are the last received, not live ones';
    }
  }

  /** The x/y fields of an event, if it has a position: `x`/`y`, or `pose.x`/`pose.y` and the like; and a heading. */
  private xyFields(track: Track): { x: string; y: string; heading?: string } | null {
    const prefixes = ['', ...new Set(track.fields.filter((f) => f.endsWith('.x')).map((f) => f.slice(0, -1)))];
    for (const p of prefixes) {
      if (track.fields.includes(`${p}x`) && track.fields.includes(`${p}y`)) {
        const heading = ['yaw', 'theta', 'heading'].map((k) => `${p}${k}`).find((f) => track.fields.includes(f));
        return { x: `${p}x`, y: `${p}y`, ...(heading ? { heading } : {}) };
      }
    }
    return null;
  }

  private savePrefs(): void {
    stored.set(localStorage, PREFS_KEY, { ...(this.preferred ? { event: this.preferred } : {}), windowMs: this.windowMs });
  }

  private draw(): void {
    const since = performance.now() - this.lastDraw;
    if (since < REDRAW_MS) {
      clearTimeout(this.drawTimer);
      this.drawTimer = setTimeout(this.schedule, REDRAW_MS - since);
      return;
    }
    this.lastDraw = performance.now();
    const track = this.event === null ? undefined : this.tracks.get(this.event);
    this.trim(track);
    const points = track?.t.length ?? 0;
    this.box.dataset.event = this.event ?? '';
    this.box.dataset.points = String(points);
    this.box.dataset.gaps = String(this.gaps.count);
    this.empty.hidden = points > 0;
    this.renderStale();
    const xy = track ? this.xyFields(track) : null;
    const xyOption = this.viewPicker.querySelector<HTMLOptionElement>('option[value="xy"]')!;
    xyOption.disabled = !xy;
    if (!xy && this.viewPicker.value === 'xy') this.viewPicker.value = 'time';
    const showXY = this.viewPicker.value === 'xy' && !!xy && points > 0;
    this.xyBox.hidden = !showXY;
    this.box.hidden = showXY;
    this.card.dataset.view = showXY ? 'xy' : 'time';
    if (showXY && track && xy) {
      this.xy.draw({ xs: track.cols.get(xy.x)!, ys: track.cols.get(xy.y)!, ...(xy.heading ? { headings: track.cols.get(xy.heading)! } : {}) }, this.height(), {
        path: COLORS[0]!,
        grid: 'rgba(154,167,184,0.14)',
        text: '#9aa7b8',
        now: COLORS[1]!,
      });
      return;
    }
    if (!track || points === 0) {
      this.chart?.destroy();
      this.chart = null;
      this.built = '';
      return;
    }
    const key = `${this.event}|${track.fields.join(',')}`;
    const data: uPlot.AlignedData = [track.t, ...track.fields.map((f) => track.cols.get(f)!)];
    if (key !== this.built || !this.chart) this.build(track, data, key);
    else this.chart.setData(data);

    // Not hovering: the legend shows the newest values instead of "--".
    const chart = this.chart;
    if (chart && chart.cursor.left !== undefined && chart.cursor.left < 0) chart.setLegend({ idx: points - 1 });
  }

  /** Drop points older than the window. */
  private trim(track: Track | undefined): void {
    this.gaps.trim(Date.now() - this.windowMs);
    if (track) trim(track, (Date.now() - this.windowMs) / 1000);
  }

  private build(track: Track, data: uPlot.AlignedData, key: string): void {
    this.chart?.destroy();
    const event = this.event!;
    let hidden = this.hidden.get(event);
    if (!hidden) {
      hidden = new Set(track.fields.filter((f) => HIDDEN_BY_NAME.test(f.split('.').pop()!) || looksLikeEpoch(track.cols.get(f)!)));
      this.hidden.set(event, hidden);
    }
    const right = rightAxisFields(track, hidden);
    const axis = {
      stroke: '#9aa7b8',
      grid: { stroke: 'rgba(154,167,184,0.10)', width: 1 },
      ticks: { stroke: 'rgba(154,167,184,0.25)', width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const opts: uPlot.Options = {
      width: Math.max(200, this.box.clientWidth),
      height: this.height(),
      scales: {
        x: {
          time: true,
          // At least MIN_SPAN_S, ending at the newest sample: one sample is a dot at the right edge of a
          // 10 s axis. From the data, not from min/max: uPlot widens one time value to 86,400,000 s.
          range: (u, min, max) => {
            const xs = u.data[0];
            const [lo, hi] = xs.length ? [xs[0]!, xs[xs.length - 1]!] : [min, max];
            return hi - lo >= MIN_SPAN_S ? [lo, hi] : [hi - MIN_SPAN_S, hi + MIN_SPAN_S / 20];
          },
        },
      },
      axes: [axis, { ...axis, scale: 'y', size: 48 }, ...(right.size ? [{ ...axis, scale: 'y2', side: 1, size: 48, grid: { show: false } }] : [])],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      series: [
        { value: '{HH}:{mm}:{ss}' },
        ...track.fields.map((field, i) => ({
          label: right.has(field) ? `${field} ▸` : field,
          scale: right.has(field) ? 'y2' : 'y',
          stroke: COLORS[i % COLORS.length],
          width: 1.75,
          show: !hidden.has(field),
          // The newest value of each series as a dot: a single sample is visible, and "now" is marked.
          points: { show: true, size: 6, filter: lastPoint },
          // Lines join across nulls (a field an event lacked) but break where events were lost.
          spanGaps: false,
          gaps: this.gaps.seriesGaps,
        })),
      ],
      hooks: {
        draw: [this.gaps.draw],
        // The x axis's span in seconds, for tests and for people inspecting the page.
        setScale: [
          (u, key) => {
            const x = u.scales.x;
            if (key === 'x' && x?.min != null && x.max != null) this.box.dataset.span = String(Math.round((x.max - x.min) * 10) / 10);
          },
        ],
        // Remember which fields the operator hid, across rebuilds.
        setSeries: [
          (u, idx) => {
            if (idx === null || idx === 0) return;
            const field = track.fields[idx - 1];
            if (field === undefined) return;
            if (u.series[idx]?.show) hidden.delete(field);
            else hidden.add(field);
            this.box.dataset.series = track.fields.filter((f) => !hidden.has(f)).join(',');
          },
        ],
      },
    };
    this.chart = new uPlot(opts, data, this.box);
    this.built = key;
    this.box.dataset.series = track.fields.filter((f) => !hidden.has(f)).join(',');
  }

  private height(): number {
    return window.matchMedia('(max-width: 760px)').matches ? 190 : 250;
  }

  private resize(): void {
    if (this.chart) this.chart.setSize({ width: Math.max(200, this.box.clientWidth), height: this.height() });
  }
}

/** uPlot points filter: only the newest non-null point of a series. */
function lastPoint(u: uPlot, seriesIdx: number): number[] | null {
  const col = u.data[seriesIdx] as Array<number | null | undefined> | undefined;
  if (!col) return null;
  for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null && col[i] !== undefined) return [i];
  return null;
}
