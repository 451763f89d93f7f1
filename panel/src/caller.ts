/**
 * Start and call: Start loads the project and its ack lists the objects and
 * methods; the picker is built from it. The args editor checks the JSON as you
 * type; Send (or Ctrl+Enter) calls the method; the answer shows with its
 * round-trip time, and every call goes to the history.
 */
import type { ServerToClientEvents, StartResult } from '#protocol';
import { argsMemory, argsText, describeArgs, parseArgs, type Args } from './args.js';
import { $, duration, h, jsonBlock, jsonLine, stored } from './dom.js';
import type { CallHistory, CallRecord } from './history.js';
import type { Link } from './link.js';

const PROJECT_KEY = 'robot-control.project';

export class Caller {
  private readonly startBtn = $<HTMLButtonElement>('start-btn');
  private readonly info = $('project-info');
  private readonly methods = $('methods');
  private readonly target = $('call-target');
  private readonly input = $<HTMLTextAreaElement>('args-input');
  private readonly hint = $('args-hint');
  private readonly sendBtn = $<HTMLButtonElement>('send-btn');
  private readonly resultHead = $('result-head');
  private readonly resultBody = $('result-body');
  /** The last start ack, kept for the tab so a reload still has its picker (and STOP). */
  project: StartResult | null = stored.get<StartResult | null>(sessionStorage, PROJECT_KEY, null);
  private selected: { object: string; method: string } | null = null;
  private latest = 0;
  private waitTimer: ReturnType<typeof setInterval> | undefined;
  private readonly projectListeners: Array<(p: StartResult | null) => void> = [];

  constructor(
    private readonly link: Link<ServerToClientEvents>,
    private readonly history: CallHistory,
  ) {
    this.startBtn.addEventListener('click', () => void this.start());
    this.sendBtn.addEventListener('click', () => this.send());
    this.input.addEventListener('input', () => this.check());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.send();
      }
    });
    this.renderProject(this.project ? 'kept' : 'none');
  }

  onProject(fn: (p: StartResult | null) => void): void {
    this.projectListeners.push(fn);
    fn(this.project);
  }

  /** A new project was uploaded: the old picker no longer applies. */
  projectReplaced(): void {
    this.setProject(null);
    this.startBtn.classList.add('attention');
    this.renderProject('uploaded');
  }

  /** The connection came or went: what can be pressed. */
  setEnabled(connected: boolean): void {
    this.startBtn.disabled = !connected;
    this.check(connected);
  }

  async start(): Promise<void> {
    this.startBtn.disabled = true;
    this.startBtn.classList.remove('attention');
    this.info.textContent = 'Starting…';
    try {
      const { ack, ms } = await this.link.call('start', {});
      if (ack.status === 'success') {
        this.setProject(ack.data);
        this.renderProject('started', ms);
      } else {
        this.info.replaceChildren(h('span', { class: 'err-mark', text: '✗ ' }), h('code', { class: 'code', text: ack.data.code }), ` ${ack.message}`);
      }
    } catch (err) {
      this.info.textContent = `✗ ${(err as Error).message}`;
    } finally {
      this.startBtn.disabled = !this.link.connected;
    }
  }

  select(object: string, method: string, args?: string): void {
    this.selected = { object, method };
    this.target.replaceChildren(h('span', { class: 'obj', text: object }), '.', h('span', { class: 'meth', text: method }));
    this.input.value = args ?? argsMemory.get(object, method) ?? '';
    for (const chip of this.methods.querySelectorAll<HTMLElement>('.method')) {
      chip.classList.toggle('selected', chip.dataset.object === object && chip.dataset.method === method);
    }
    this.check();
  }

  send(): void {
    if (!this.selected) return;
    const parsed = parseArgs(this.input.value);
    if (!parsed.ok || !this.link.connected) {
      this.check();
      return;
    }
    argsMemory.set(this.selected.object, this.selected.method, this.input.value);
    void this.run(this.selected.object, this.selected.method, parsed.args);
  }

  /** Call a method and show its answer; the history records it. */
  async run(object: string, method: string, args: Args): Promise<CallRecord> {
    const record = this.history.add({ object, method, args: argsText(args) });
    const mine = ++this.latest;
    const started = performance.now();
    const label = `${object}.${method}`;
    clearInterval(this.waitTimer);
    const waiting = () => this.showResult('wait', `${label} · waiting ${duration(performance.now() - started)}`, '');
    waiting();
    this.waitTimer = setInterval(waiting, 100);
    try {
      const params = args === undefined ? { object, method } : { object, method, args };
      const { ack, ms } = await this.link.call('process', { params });
      record.ms = ms;
      if (ack.status === 'success') {
        record.status = 'success';
        record.summary = jsonLine(ack.data, 120);
        if (mine === this.latest) this.showResult('ok', `✓ ${label} · ${duration(ms)}`, jsonBlock(ack.data));
      } else {
        const { code, ...details } = ack.data;
        record.status = 'error';
        record.code = code;
        record.summary = ack.message;
        const body = Object.keys(details).length ? `${ack.message}\n\n${jsonBlock(details)}` : ack.message;
        if (mine === this.latest) this.showResult('err', `✗ ${label} · ${code} · ${duration(ms)}`, body);
      }
    } catch (err) {
      record.status = 'error';
      record.code = 'no answer';
      record.summary = (err as Error).message;
      if (mine === this.latest) this.showResult('err', `✗ ${label} · no answer`, (err as Error).message);
    } finally {
      if (mine === this.latest) clearInterval(this.waitTimer);
      this.history.settle(record);
    }
    return record;
  }

  private setProject(p: StartResult | null): void {
    this.project = p;
    stored.set(sessionStorage, PROJECT_KEY, p);
    this.renderMethods();
    for (const fn of this.projectListeners) fn(p);
  }

  private renderProject(how: 'none' | 'kept' | 'started' | 'uploaded', ms?: number): void {
    const p = this.project;
    this.renderMethods();
    if (how === 'uploaded') {
      this.info.textContent = 'New project uploaded. Press Start to load it and list its methods.';
      return;
    }
    if (!p) {
      this.info.textContent = 'Press Start to load the project and list its methods.';
      return;
    }
    const n = Object.keys(p.objects).length;
    this.info.replaceChildren(
      h('span', { class: 'ok-mark', text: how === 'started' ? '✓ ' : '' }),
      `${p.type} · `,
      h('code', { text: p.entry }),
      ` · ${n} object${n === 1 ? '' : 's'}`,
      how === 'started' && ms !== undefined ? ` · started in ${duration(ms)}` : ' · from the last Start',
    );
  }

  private renderMethods(): void {
    const p = this.project;
    if (!p) {
      this.methods.replaceChildren(h('p', { class: 'muted empty', text: 'No methods yet.' }));
      this.selected = null;
      this.target.textContent = 'Pick a method';
      this.check();
      return;
    }
    this.methods.replaceChildren(
      ...Object.entries(p.objects).map(([object, names]) =>
        h(
          'div',
          { class: 'method-group' },
          h('div', { class: 'object-name', text: object }),
          h(
            'div',
            { class: 'method-list' },
            ...names.map((method) =>
              h('button', {
                class: 'method',
                text: method,
                data: { object, method },
                title: argsMemory.get(object, method) ? `${object}.${method}(${argsMemory.get(object, method)})` : `${object}.${method}()`,
                onclick: () => this.select(object, method),
              }),
            ),
          ),
        ),
      ),
    );
    const sel = this.selected;
    if (sel && p.objects[sel.object]?.includes(sel.method)) this.select(sel.object, sel.method, this.input.value);
    else {
      this.selected = null;
      this.target.textContent = 'Pick a method';
      this.check();
    }
  }

  private check(connected = this.link.connected): void {
    const parsed = parseArgs(this.input.value);
    this.input.classList.toggle('invalid', !parsed.ok);
    this.input.setAttribute('aria-invalid', String(!parsed.ok));
    this.hint.classList.toggle('error', !parsed.ok);
    this.hint.textContent = parsed.ok ? `${describeArgs(parsed.args)} Ctrl+Enter sends.` : parsed.error;
    this.sendBtn.disabled = !parsed.ok || !this.selected || !connected;
    this.input.disabled = !this.selected;
  }

  private showResult(tone: 'wait' | 'ok' | 'err', head: string, body: string): void {
    this.resultHead.className = `result-head tone-${tone}`;
    this.resultHead.textContent = head;
    this.resultBody.textContent = body;
    this.resultBody.hidden = body === '';
  }
}
