/**
 * Robot output, live: the lines robot code prints (console.log, print, stderr), as the
 * broker's `robot_log` event brings them, like a terminal: newest at the bottom,
 * following the end unless you scrolled up to read. stderr lines stand out; a new
 * worker generation (an upload, a restart) is marked. Rendered once per frame,
 * capped, so a chatty robot costs what the screen can show.
 */
import type { RobotLogLine } from '#protocol';
import { $, clock, count, h, perFrame } from './dom.js';

const ROWS = 500;

function isLogLine(x: unknown): x is RobotLogLine {
  const l = x as RobotLogLine | null;
  return !!l && typeof l === 'object' && typeof l.line === 'string' && (l.stream === 'stdout' || l.stream === 'stderr') && typeof l.generation === 'number';
}

export class RobotConsole {
  private readonly list = $('console-log');
  private readonly empty = $('console-empty');
  private readonly counter = $('console-count');
  private pending: Array<RobotLogLine & { at: number }> = [];
  private generation: number | null = null;
  private total = 0;
  private readonly schedule = perFrame(() => this.render());

  constructor() {
    $('console-clear').addEventListener('click', () => {
      this.pending = [];
      this.total = 0;
      this.list.replaceChildren();
      this.empty.hidden = false;
      this.counter.textContent = '';
    });
  }

  /** One `robot_log` from the broker; anything not shaped like one is ignored. */
  add(line: unknown): void {
    if (!isLogLine(line)) return;
    this.total++;
    this.pending.push({ ...line, at: Date.now() });
    if (this.pending.length > ROWS) this.pending = this.pending.slice(-ROWS);
    this.schedule();
  }

  private render(): void {
    if (this.pending.length === 0) return;
    // Following the end unless the operator scrolled up to read.
    const atEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 24;
    const frag = document.createDocumentFragment();
    for (const l of this.pending) {
      if (l.generation !== this.generation) {
        if (this.generation !== null) frag.append(h('li', { class: 'con-gen', text: `worker generation ${l.generation}` }));
        this.generation = l.generation;
      }
      frag.append(h('li', { class: `con-line ${l.stream}`, data: { stream: l.stream } }, h('time', { text: clock(l.at).slice(0, 8) }), h('span', { class: 'con-text', text: l.line })));
    }
    this.pending = [];
    this.list.append(frag);
    for (let extra = this.list.childElementCount - ROWS; extra > 0; extra--) this.list.firstElementChild?.remove();
    this.empty.hidden = true;
    this.counter.textContent = `${count(this.total)} line${this.total === 1 ? '' : 's'}`;
    if (atEnd) this.list.scrollTop = this.list.scrollHeight;
  }
}
