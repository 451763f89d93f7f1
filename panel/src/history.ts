/**
 * The calls made from this tab, newest first: each re-runs with one click (↻), and
 * a click on its name loads it back into the editor. Kept for the tab's session.
 */
import { $, clock, duration, h, stored } from './dom.js';

export interface CallRecord {
  id: number;
  at: number;
  object: string;
  method: string;
  /** The args exactly as sent (compact JSON), '' for none. */
  args: string;
  status: 'pending' | 'success' | 'error';
  ms?: number;
  /** The error code, on error. */
  code?: string;
  /** A one-line view of the result or error message. */
  summary?: string;
}

const KEY = 'robot-control.history';
const MAX = 40;

export class CallHistory {
  private readonly list = $('history-list');
  private readonly empty = $('history-empty');
  private records: CallRecord[] = stored.get<CallRecord[]>(sessionStorage, KEY, []).filter((r) => r.status !== 'pending');
  private nextId = Math.max(0, ...this.records.map((r) => r.id)) + 1;
  private readonly rows = new Map<number, HTMLElement>();

  constructor(
    private readonly onRerun: (r: CallRecord) => void,
    private readonly onLoad: (r: CallRecord) => void,
  ) {
    $('history-clear').addEventListener('click', () => {
      this.records = [];
      this.save();
      this.render();
    });
    this.render();
  }

  add(entry: Omit<CallRecord, 'id' | 'at' | 'status'>): CallRecord {
    const record: CallRecord = { ...entry, id: this.nextId++, at: Date.now(), status: 'pending' };
    this.records.unshift(record);
    this.records.length = Math.min(this.records.length, MAX);
    this.render();
    return record;
  }

  /** The call answered: refresh its row in place. */
  settle(record: CallRecord): void {
    this.save();
    const row = this.rows.get(record.id);
    if (row) row.replaceWith(this.row(record));
  }

  private save(): void {
    stored.set(sessionStorage, KEY, this.records.filter((r) => r.status !== 'pending'));
  }

  private render(): void {
    this.rows.clear();
    this.list.replaceChildren(...this.records.map((r) => this.row(r)));
    this.empty.hidden = this.records.length > 0;
  }

  private row(r: CallRecord): HTMLElement {
    const status =
      r.status === 'pending'
        ? h('span', { class: 'badge tone-wait', text: '…' })
        : r.status === 'success'
          ? h('span', { class: 'badge tone-ok', text: '✓' })
          : h('span', { class: 'badge tone-err', text: r.code ?? '✗', title: r.summary ?? '' });
    const li = h(
      'li',
      { class: `history-row status-${r.status}`, data: { id: String(r.id) } },
      h('button', { class: 'icon-btn rerun', text: '↻', title: `Run ${r.object}.${r.method}(${r.args}) again`, onclick: () => this.onRerun(r) }),
      h(
        'button',
        { class: 'history-call', title: 'Load into the editor', onclick: () => this.onLoad(r) },
        h('span', { class: 'call-name', text: `${r.object}.${r.method}` }),
        h('span', { class: 'call-args', text: r.args ? `(${r.args})` : '()' }),
      ),
      status,
      h('span', { class: 'muted ms', text: r.ms === undefined ? '' : duration(r.ms) }),
      h('time', { class: 'muted', text: clock(r.at).slice(0, 8) }),
    );
    this.rows.set(r.id, li);
    return li;
  }
}
