/**
 * The control lease as the operator sees it: a pill saying who drives ("you control",
 * "observing · held by X", "observing · free"), a strip under the top bar while this
 * tab observes ("You are observing", and what that means), "Take control" (with a
 * confirm when someone holds it: that takes it by force) and "Release".
 */
import type { Ack, ClientRole, ControlState } from '#protocol';
import { $, clock, h } from './dom.js';

export interface LeaseActions {
  take(force: boolean): Promise<Ack<unknown>>;
  release(): Promise<Ack<unknown>>;
  /** A notice for the operator (a refused take, a failed release). */
  toast(text: string, tone: 'ok' | 'err'): void;
}

export class LeaseView {
  private readonly pill = $('lease-pill');
  private readonly bar = $('lease-bar');
  private readonly releaseBtn = $<HTMLButtonElement>('release-btn');
  private state: ControlState | null = null;
  private connected = false;
  private readonly roleListeners: Array<(role: ClientRole) => void> = [];

  constructor(
    private readonly clientId: string,
    private readonly actions: LeaseActions,
  ) {
    this.releaseBtn.addEventListener('click', () => void this.release());
    this.render();
  }

  /** Called with the tab's role on every `control` event and connection change (observer while disconnected). */
  onRole(fn: (role: ClientRole) => void): void {
    this.roleListeners.push(fn);
  }

  get role(): ClientRole {
    return this.connected && this.state ? this.state.role : 'observer';
  }

  set(state: ControlState): void {
    this.state = state;
    this.render();
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    if (!connected) this.state = null;
    this.render();
  }

  async take(): Promise<void> {
    const holder = this.state?.controller ?? null;
    const force = holder !== null;
    // Taking it from someone is a decision: they lose the robot mid-motion and its stop() hooks run.
    if (force && !window.confirm(`"${holder}" controls the robot. Take control from them?\n\nThey become an observer and the robot's stop() hooks run.`)) return;
    const ack = await this.actions.take(force).catch((e: Error) => ({ status: 'error', message: e.message, data: { code: 'no answer' } }) as const);
    if (ack.status !== 'success') this.actions.toast(`Take control: ${ack.data.code}: ${ack.message}`, 'err');
  }

  async release(): Promise<void> {
    const ack = await this.actions.release().catch((e: Error) => ({ status: 'error', message: e.message, data: { code: 'no answer' } }) as const);
    if (ack.status !== 'success') this.actions.toast(`Release: ${ack.data.code}: ${ack.message}`, 'err');
  }

  private render(): void {
    const s = this.connected ? this.state : null;
    const role = this.role;
    for (const fn of this.roleListeners) fn(role);
    this.releaseBtn.hidden = !s || role !== 'controller';
    this.pill.dataset.role = s ? role : 'none';
    this.pill.dataset.controller = s?.controller ?? '';
    if (!s) {
      this.pill.hidden = true;
      this.bar.hidden = true;
      this.bar.replaceChildren();
      return;
    }
    this.pill.hidden = false;
    const watchers = `${s.observers} observer${s.observers === 1 ? '' : 's'}`;
    const since = s.since ? ` since ${clock(s.since).slice(0, 8)}` : '';
    if (role === 'controller') {
      pill(this.pill, 'ok', 'you control', `This tab (${this.clientId}) holds the robot${since} · ${watchers}`);
      this.bar.hidden = true;
      this.bar.replaceChildren();
      return;
    }
    const holder = s.controller;
    pill(this.pill, 'warn', holder ? `observing · ${short(holder)} controls` : 'observing · nobody controls', `${holder ? `"${holder}" holds the robot${since}` : 'Nobody holds the robot'} · ${watchers}`);
    this.bar.hidden = false;
    this.bar.dataset.holder = holder ?? '';
    this.bar.replaceChildren(
      h(
        'div',
        { class: 'lease-text' },
        h('strong', { text: 'You are observing.' }),
        ' ',
        holder ? h('span', {}, h('code', { text: holder }), ` controls the robot${since}.`) : 'Nobody controls the robot.',
        ' You see everything and STOP works; take control to upload, start or call methods.',
      ),
      h('button', { class: holder ? 'btn small warn' : 'btn small primary', text: 'Take control', title: holder ? `Take the robot from "${holder}" (asks first)` : 'Take the robot', onclick: () => void this.take() }),
    );
  }
}

/** A panel's client id is 32 hex digits: the pill shows its start, the strip and the tooltip all of it. */
function short(id: string): string {
  return id.length > 14 ? `${id.slice(0, 12)}…` : id;
}

function pill(el: HTMLElement, tone: 'ok' | 'warn', label: string, title: string): void {
  el.className = `pill tone-${tone}`;
  el.title = title;
  el.replaceChildren(h('i'), h('b', { text: label }));
}
