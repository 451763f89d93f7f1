/**
 * Start and call: the broker's `project` event (on connect and whenever the project
 * changes) lists the objects and methods with their parameters and docs, and so does
 * Start's ack; the picker is built from it (lifecycle hooks apart). An observer sees
 * the picker but cannot send. Picking a method shows its doc and a form for its parameters over
 * the JSON editor, which checks the JSON as you type; named presets run in one
 * click. Send (or Ctrl+Enter) calls the method; the answer shows with its
 * round-trip time (an error with its file:line), and every call goes to the history.
 */
import type { MethodInfo, ServerToClientEvents, StartResult } from '#protocol';
import { argsMemory, argsText, describeArgs, parseArgs, type Args } from './args.js';
import { $, duration, h, jsonBlock, jsonLine, stored } from './dom.js';
import { errorBody, whereOf } from './error-view.js';
import type { CallHistory, CallRecord } from './history.js';
import type { Link } from './link.js';
import { MethodForm, template } from './method-form.js';
import { PresetBar } from './presets.js';

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
  private readonly doc = $('method-doc');
  private readonly form: MethodForm;
  private readonly presets: PresetBar;
  /** The last start ack, kept for the tab so a reload still has its picker (and STOP). */
  project: StartResult | null = stored.get<StartResult | null>(sessionStorage, PROJECT_KEY, null);
  private selected: { object: string; method: string } | null = null;
  private latest = 0;
  private waitTimer: ReturnType<typeof setInterval> | undefined;
  private readonly projectListeners: Array<(p: StartResult | null) => void> = [];
  /** The broker sends `project` events (lease-aware): an upload's new listing comes by itself. */
  private brokerTellsProject = false;
  private connected = false;
  /** This tab holds the control lease (an observer's commands are refused). */
  private controlling = true;

  constructor(
    private readonly link: Link<ServerToClientEvents>,
    private readonly history: CallHistory,
  ) {
    this.form = new MethodForm($('args-form'), (json) => {
      this.input.value = json;
      this.check();
    });
    this.presets = new PresetBar(
      () => this.input.value,
      (object, method, preset) => {
        const parsed = parseArgs(preset.args);
        if (!parsed.ok) return;
        // The editor and form show what the preset sends.
        this.select(object, method, preset.args);
        void this.run(object, method, parsed.args);
      },
    );
    this.startBtn.addEventListener('click', () => void this.start());
    this.sendBtn.addEventListener('click', () => this.send());
    this.input.addEventListener('input', () => {
      const parsed = parseArgs(this.input.value);
      if (parsed.ok) this.form.fill(parsed.args);
      this.check();
    });
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

  /** The broker's `project` event: what is loaded now (null: nothing). */
  projectFromBroker(p: StartResult | null): void {
    this.brokerTellsProject = true;
    this.startBtn.classList.remove('attention');
    this.setProject(p);
    this.renderProject(p ? 'loaded' : 'none');
  }

  /** A new project was uploaded: the old picker no longer applies (unless the broker already sent the new one). */
  projectReplaced(): void {
    if (this.brokerTellsProject) return;
    this.setProject(null);
    this.startBtn.classList.add('attention');
    this.renderProject('uploaded');
  }

  /** The connection came or went: what can be pressed. */
  setEnabled(connected: boolean): void {
    this.connected = connected;
    this.startBtn.disabled = !connected || !this.controlling;
    this.check();
  }

  /** The lease: only its holder may Start and Send. */
  setControlling(controlling: boolean): void {
    this.controlling = controlling;
    this.setEnabled(this.connected);
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
      this.startBtn.disabled = !this.link.connected || !this.controlling;
    }
  }

  select(object: string, method: string, args?: string): void {
    this.selected = { object, method };
    const info = this.methodInfo(object, method);
    this.target.replaceChildren(h('span', { class: 'obj', text: object }), '.', h('span', { class: 'meth', text: method }), h('span', { class: 'sig', text: signature(info) }));
    this.doc.textContent = info?.hook ? `Lifecycle hook: the broker calls it when the client leaves.${info.doc ? ` ${info.doc}` : ''}` : (info?.doc ?? '');
    this.doc.hidden = this.doc.textContent === '';
    // Remembered args first; else a template of the defaults, so the shape is right from the start.
    this.input.value = args ?? argsMemory.get(object, method) ?? (info ? template(info) : '');
    this.form.show(info);
    const parsed = parseArgs(this.input.value);
    if (parsed.ok) this.form.fill(parsed.args);
    for (const chip of this.methods.querySelectorAll<HTMLElement>('.method')) {
      chip.classList.toggle('selected', chip.dataset.object === object && chip.dataset.method === method);
    }
    this.check();
  }

  /** The start ack's description of a method (null from a broker without `methods`). */
  private methodInfo(object: string, method: string): MethodInfo | null {
    return this.project?.methods?.[object]?.[method] ?? null;
  }

  send(): void {
    if (!this.selected) return;
    const parsed = parseArgs(this.input.value);
    if (!parsed.ok || !this.link.connected || !this.controlling) {
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
        const where = whereOf(ack.data);
        record.status = 'error';
        record.code = ack.data.code;
        record.summary = where ? `${ack.message} (${where})` : ack.message;
        if (mine === this.latest) this.showResult('err', `✗ ${label} · ${ack.data.code} · ${duration(ms)}`, errorBody(ack.message, ack.data));
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

  private renderProject(how: 'none' | 'kept' | 'started' | 'uploaded' | 'loaded', ms?: number): void {
    const p = this.project;
    this.renderMethods();
    if (how === 'uploaded') {
      this.info.textContent = 'New project uploaded. Press Start to load it and list its methods.';
      return;
    }
    if (!p) {
      this.info.textContent = this.brokerTellsProject ? 'No project loaded: upload one.' : 'Press Start to load the project and list its methods.';
      return;
    }
    const n = Object.keys(p.objects).length;
    this.info.replaceChildren(
      h('span', { class: 'ok-mark', text: how === 'started' ? '✓ ' : '' }),
      `${p.type} · `,
      h('code', { text: p.entry }),
      ` · ${n} object${n === 1 ? '' : 's'}`,
      how === 'started' && ms !== undefined ? ` · started in ${duration(ms)}` : how === 'loaded' ? ' · loaded' : ' · from the last Start',
    );
  }

  private renderMethods(): void {
    const p = this.project;
    if (!p) {
      this.methods.replaceChildren(h('p', { class: 'muted empty', text: 'No methods yet.' }));
      this.selected = null;
      this.target.textContent = 'Pick a method';
      this.form.show(null);
      this.doc.hidden = true;
      this.check();
      return;
    }
    const chip = (object: string, method: string) => {
      const info = this.methodInfo(object, method);
      return h('button', {
        class: info?.hook ? 'method hook' : 'method',
        text: method,
        data: { object, method },
        title: `${object}.${method}${signature(info)}${info?.doc ? `\n${info.doc}` : ''}`,
        onclick: () => this.select(object, method),
      });
    };
    this.methods.replaceChildren(
      ...Object.entries(p.objects).map(([object, names]) => {
        // Lifecycle hooks (stop) apart from the commands: the broker calls them itself.
        const hooks = names.filter((m) => this.methodInfo(object, m)?.hook);
        const commands = names.filter((m) => !hooks.includes(m));
        return h(
          'div',
          { class: 'method-group' },
          h('div', { class: 'object-name', text: object }),
          h('div', { class: 'method-list' }, ...commands.map((m) => chip(object, m))),
          ...(hooks.length ? [h('div', { class: 'hook-list', title: 'Lifecycle hooks: the broker calls them when the client leaves' }, h('span', { class: 'hook-label', text: 'hook' }), ...hooks.map((m) => chip(object, m)))] : []),
        );
      }),
    );
    const sel = this.selected;
    if (sel && p.objects[sel.object]?.includes(sel.method)) this.select(sel.object, sel.method, this.input.value);
    else {
      this.selected = null;
      this.target.textContent = 'Pick a method';
      this.form.show(null);
      this.doc.hidden = true;
      this.check();
    }
  }

  private check(connected = this.connected): void {
    const parsed = parseArgs(this.input.value);
    this.input.classList.toggle('invalid', !parsed.ok);
    this.input.setAttribute('aria-invalid', String(!parsed.ok));
    this.hint.classList.toggle('error', !parsed.ok);
    const missing = parsed.ok ? this.form.missing() : [];
    const sends = this.controlling ? ' Ctrl+Enter sends.' : ' You are observing: take control to send.';
    this.hint.textContent = parsed.ok ? `${describeArgs(parsed.args)}${missing.length ? ` Needs ${missing.join(', ')}.` : ''}${sends}` : parsed.error;
    this.sendBtn.disabled = !parsed.ok || !this.selected || !connected || !this.controlling;
    this.input.disabled = !this.selected;
    this.presets.setTarget(this.selected, parsed.ok);
  }

  /** The result pane: a value as JSON text, or an error's message, location and frames. */
  private showResult(tone: 'wait' | 'ok' | 'err', head: string, body: string | HTMLElement[]): void {
    this.resultHead.className = `result-head tone-${tone}`;
    this.resultHead.textContent = head;
    if (typeof body === 'string') this.resultBody.textContent = body;
    else this.resultBody.replaceChildren(...body);
    this.resultBody.hidden = body.length === 0;
  }
}

/** `(vx?, vy?, vyaw?)` or `({ vx?, vy? })` for an object argument; '' when unknown. */
function signature(info: MethodInfo | null): string {
  if (!info) return '';
  const names = info.params.map((p) => `${p.name}${p.optional ? '?' : ''}`).join(', ');
  return info.args === 'object' ? `({ ${names} })` : `(${names})`;
}
