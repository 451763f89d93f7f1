/**
 * The live events log: every pushed event with its time, name and data, newest on
 * top. Filter by name (the count chips), pause, clear, expand a row for its JSON.
 *
 * Built for a fast stream (1,000 events/s and more): `add()` only counts and
 * queues; the DOM is touched once per animation frame, with at most ROWS new rows,
 * and the list never holds more than ROWS rows. A background tab (no frames) just
 * queues, bounded, and catches up with one render.
 */
import { $, clock, count, h, jsonBlock, jsonLine, perFrame } from './dom.js';
import { Ring } from './ring.js';

export interface LiveEvent {
  seq: number;
  at: number;
  name: string;
  data: unknown;
  /** Broker and connection notices, shown between robot events but not counted. */
  system?: boolean;
  /** A short tag next to the name (a monitor's "shed" or "no client"). */
  tag?: string;
  /** A notice's sentence, shown instead of its data (which opens with the row). */
  text?: string;
  /** Something was lost: the row stands out. */
  alert?: boolean;
}

/** Rows in the DOM. */
const ROWS = 300;
/** Events kept in memory, for re-filtering and for expanding a row. */
const KEPT = 5000;

export class EventLog {
  private readonly list = $('event-log');
  private readonly empty = $('events-empty');
  private readonly chips = $('event-chips');
  private readonly pauseBtn = $<HTMLButtonElement>('pause-btn');
  private readonly rate = $('events-rate');
  private readonly shedNote = $('shed-note');
  private readonly kept = new Ring<LiveEvent>(KEPT);
  private pending: LiveEvent[] = [];
  private readonly counts = new Map<string, number>();
  private readonly chipFor = new Map<string, HTMLButtonElement>();
  private readonly allChip: HTMLButtonElement;
  private readonly rowEvent = new WeakMap<Element, LiveEvent>();
  private filter: string | null = null;
  private paused = false;
  private unseen = 0;
  private total = 0;
  private seq = 0;
  private arrivals = 0;
  private readonly schedule = perFrame(() => this.render());

  constructor() {
    this.allChip = h('button', { class: 'chip selected', data: { name: '' }, onclick: () => this.setFilter(null) }, h('span', { class: 'chip-name', text: 'all' }), h('span', { class: 'chip-n', text: '0' }));
    this.chips.append(this.allChip);
    this.pauseBtn.addEventListener('click', () => this.setPaused(!this.paused));
    $('clear-btn').addEventListener('click', () => this.clear());
    this.list.addEventListener('click', (e) => this.toggleRow(e));
    // Events per second, over the last second.
    setInterval(() => {
      this.rate.textContent = `${count(this.arrivals)}/s`;
      this.arrivals = 0;
    }, 1000);
  }

  /** A robot event: counted now, drawn on the next frame. */
  add(name: string, data: unknown, tag?: string, at = Date.now()): void {
    this.total++;
    this.arrivals++;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    this.queue({ seq: ++this.seq, at, name, data, ...(tag ? { tag } : {}) });
  }

  /** A broker notice in the timeline (worker restarts, broker errors, sheds). */
  system(name: string, data: unknown, at = Date.now()): void {
    this.queue({ seq: ++this.seq, at, name, data, system: true });
  }

  /** A broker notice in words ("⚠ events #51–#130 lost (evicted)"); `alert`: something was lost. */
  note(name: string, text: string, data: unknown, alert = false): void {
    this.queue({ seq: ++this.seq, at: Date.now(), name, data, system: true, text, ...(alert ? { alert } : {}) });
  }

  /** The broker shed events because this connection could not keep up. */
  shed(shed: number, total: number): void {
    this.shedNote.hidden = false;
    this.shedNote.textContent = `⚠ The broker shed ${count(total)} event${total === 1 ? '' : 's'} because this connection could not keep up (${count(shed)} just now). Counts here are what arrived.`;
    this.system('events_shed', { shed, total });
  }

  private queue(e: LiveEvent): void {
    this.kept.push(e);
    if (this.paused) {
      if (!e.system) this.unseen++;
    } else {
      this.pending.push(e);
      // No frames (a background tab): keep only what one render could show.
      if (this.pending.length > ROWS * 2) this.pending = this.pending.slice(-ROWS);
    }
    this.schedule();
  }

  private passes = (e: LiveEvent): boolean => this.filter === null || (e.name === this.filter && !e.system);

  private render(): void {
    this.renderCounts();
    this.list.dataset.total = String(this.total);
    if (this.paused) {
      this.pauseBtn.textContent = this.unseen ? `Resume · ${count(this.unseen)} new` : 'Resume';
      return;
    }
    const batch = this.pending.filter(this.passes);
    this.pending = [];
    if (batch.length === 0) return;
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= Math.max(0, batch.length - ROWS); i--) frag.append(this.row(batch[i]!));
    this.list.prepend(frag);
    for (let extra = this.list.childElementCount - ROWS; extra > 0; extra--) this.list.lastElementChild?.remove();
    this.empty.hidden = true;
  }

  /** Redraw the whole list from memory (after a filter change or a resume). */
  private redraw(): void {
    this.pending = [];
    const rows = this.kept.newest(ROWS, this.passes);
    this.list.replaceChildren(...rows.reverse().map((e) => this.row(e)));
    this.empty.hidden = this.list.childElementCount > 0;
  }

  private row(e: LiveEvent): HTMLElement {
    const li = h(
      'li',
      { class: e.alert ? 'ev system alert' : e.system ? 'ev system' : 'ev', data: { name: e.name } },
      h('time', { text: clock(e.at) }),
      h('span', { class: 'ev-name', text: e.name }),
      h('span', { class: 'ev-data', text: e.text ?? jsonLine(e.data) }),
    );
    if (!e.system) li.style.setProperty('--hue', String(hue(e.name)));
    if (e.tag) li.children[1]!.append(h('em', { class: 'ev-tag', text: e.tag }));
    this.rowEvent.set(li, e);
    return li;
  }

  private toggleRow(ev: MouseEvent): void {
    const target = ev.target as Element;
    // Selecting text to copy it is not a click on the row.
    if (target.closest('pre') || getSelection()?.toString()) return;
    const li = target.closest('li.ev');
    if (!li) return;
    const open = li.classList.toggle('open');
    if (open) li.append(h('pre', { class: 'ev-json', text: jsonBlock(this.rowEvent.get(li)?.data) }));
    else li.querySelector('pre')?.remove();
  }

  private renderCounts(): void {
    setText(this.allChip.lastElementChild, count(this.total));
    for (const [name, n] of this.counts) {
      let chip = this.chipFor.get(name);
      if (!chip) {
        chip = h('button', { class: 'chip', data: { name }, onclick: () => this.setFilter(this.filter === name ? null : name) }, h('span', { class: 'chip-name', text: name }), h('span', { class: 'chip-n' }));
        chip.style.setProperty('--hue', String(hue(name)));
        this.chipFor.set(name, chip);
        this.chips.append(chip);
      }
      setText(chip.lastElementChild, count(n));
    }
  }

  private setFilter(name: string | null): void {
    this.filter = name;
    for (const chip of this.chips.querySelectorAll<HTMLElement>('.chip')) chip.classList.toggle('selected', (chip.dataset.name || null) === name);
    this.redraw();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.unseen = 0;
    this.pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    this.pauseBtn.classList.toggle('active', paused);
    this.pauseBtn.setAttribute('aria-pressed', String(paused));
    if (!paused) this.redraw();
  }

  clear(): void {
    this.kept.clear();
    this.pending = [];
    this.counts.clear();
    this.total = 0;
    this.unseen = 0;
    for (const chip of this.chipFor.values()) chip.remove();
    this.chipFor.clear();
    this.setFilter(null);
    this.shedNote.hidden = true;
    this.list.replaceChildren();
    this.empty.hidden = false;
    this.renderCounts();
    this.list.dataset.total = '0';
  }
}

/** A stable colour per event name, so a stream is easy to scan. */
export function hue(name: string): number {
  let x = 0;
  for (let i = 0; i < name.length; i++) x = (x * 31 + name.charCodeAt(i)) >>> 0;
  return x % 360;
}

function setText(el: Element | null, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}
