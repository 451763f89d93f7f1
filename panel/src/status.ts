/**
 * The state at a glance: the connection pill, the worker pill, a banner that says
 * what to do when something is wrong, short-lived toasts for broker notices, and a
 * crash notice that stays until dismissed (a worker death resets the robot's state:
 * nobody should learn that from a pill that turned green again 300 ms later).
 */
import type { WorkerStatus } from '#protocol';
import { $, h } from './dom.js';
import type { LinkState } from './link.js';

type Tone = 'ok' | 'wait' | 'warn' | 'err';

export interface StatusActions {
  retryNow(): void;
  /** Switch to watch-only mode (offered while another client holds the robot). */
  watchInstead?: () => void;
  /** Ask for another token. */
  changeToken(): void;
}

export class StatusView {
  private readonly connPill = $('conn-pill');
  private readonly workerPill = $('worker-pill');
  private readonly banner = $('banner');
  private readonly toasts = $('toasts');
  private link: LinkState = { kind: 'idle' };
  private worker: WorkerStatus | null = null;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private bannerKey = '';
  private bannerBody: HTMLElement | null = null;

  constructor(
    private readonly mode: 'control' | 'watch',
    private readonly actions: StatusActions,
  ) {}

  setLink(state: LinkState): void {
    this.link = state;
    clearInterval(this.ticker);
    // A countdown to the next try: refreshed while one is pending.
    if (state.kind === 'busy' || state.kind === 'reconnecting') this.ticker = setInterval(() => this.render(), 250);
    this.render();
  }

  setWorker(status: WorkerStatus): void {
    this.worker = status;
    if (status.stateLost) this.crashNotice(status);
    this.render();
  }

  /** One notice for the latest crash, kept until the operator dismisses it. */
  private crashNotice(s: WorkerStatus): void {
    const how = s.exit?.signal ? `killed by ${s.exit.signal}` : s.exit?.code != null ? `exit code ${s.exit.code}` : 'no exit status';
    const text = `The worker crashed (${s.reason ?? how}; ${how}). Robot state was reset: the project is loaded again from scratch, so positions, loops and anything it kept in memory start over.`;
    document.getElementById('crash-notice')?.remove();
    const el = h('div', { class: 'toast tone-err sticky' }, h('div', { text }), h('button', { class: 'btn small', text: 'Dismiss', onclick: () => el.remove() }));
    el.id = 'crash-notice';
    el.setAttribute('role', 'alert');
    el.dataset.generation = String(s.generation);
    this.toasts.append(el);
  }

  /** A notice that fades by itself (errors stay longer). */
  toast(text: string, tone: Tone = 'ok'): void {
    const el = h('div', { class: `toast tone-${tone}`, text });
    el.setAttribute('role', tone === 'err' ? 'alert' : 'status');
    this.toasts.append(el);
    // The oldest toasts go first; the crash notice stays until dismissed.
    const fading = [...this.toasts.children].filter((t) => !t.classList.contains('sticky'));
    while (fading.length > 4) fading.shift()!.remove();
    setTimeout(() => el.classList.add('leaving'), tone === 'err' ? 8000 : 4000);
    setTimeout(() => el.remove(), tone === 'err' ? 8400 : 4400);
  }

  private render(): void {
    this.renderConnection();
    this.renderWorker();
    this.renderBanner();
  }

  private renderConnection(): void {
    const s = this.link;
    const wait = 'retryAt' in s ? Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000)) : 0;
    const [tone, label, title]: [Tone, string, string] =
      s.kind === 'connected'
        ? ['ok', this.mode === 'watch' ? 'watching' : 'connected', `Connected over ${s.transport}`]
        : s.kind === 'connecting'
          ? ['wait', 'connecting…', 'Connecting to the broker']
          : s.kind === 'idle'
            ? ['wait', 'no token', 'Waiting for an access token']
          : s.kind === 'busy'
            ? ['warn', 'busy', 'The broker admits no more clients']
            : s.kind === 'unauthorized'
              ? ['err', 'unauthorized', 'The broker refused the token']
              : s.kind === 'reconnecting'
                ? ['warn', `reconnecting · ${wait} s`, `Connection lost: ${s.reason}`]
                : ['err', 'unavailable', s.reason];
    pill(this.connPill, tone, label, title);
    this.connPill.dataset.state = s.kind;
  }

  private renderWorker(): void {
    const w = this.worker;
    if (!w) {
      pill(this.workerPill, 'wait', 'worker —', 'No word from the broker yet');
      this.workerPill.dataset.state = 'unknown';
      return;
    }
    const tone: Tone = w.state === 'ready' ? 'ok' : w.state === 'failed' || w.state === 'stopped' ? 'err' : 'wait';
    const facts = [w.pid ? `pid ${w.pid}` : null, `generation ${w.generation}`, `${w.restarts} restart${w.restarts === 1 ? '' : 's'}`, w.reason ? `last reason: ${w.reason}` : null];
    const label = w.state === 'ready' ? 'worker ready' : `worker ${w.state}${w.reason && w.state !== 'failed' ? ` (${w.reason})` : ''}`;
    pill(this.workerPill, tone, label, facts.filter(Boolean).join(' · '), w.pid ? `pid ${w.pid} · gen ${w.generation}` : `gen ${w.generation}`);
    this.workerPill.dataset.state = w.state;
    // What the worker was doing when we lost the broker is old news: say so.
    this.workerPill.classList.toggle('stale', this.link.kind !== 'connected');
  }

  private renderBanner(): void {
    const s = this.link;
    const w = this.worker;
    const wait = 'retryAt' in s ? Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000)) : 0;
    const retry = () => h('button', { class: 'btn small', text: 'Retry now', onclick: () => this.actions.retryNow() });
    let tone: Tone = 'warn';
    let title = '';
    let body = '';
    const buttons: HTMLElement[] = [];
    if (s.kind === 'busy') {
      title = 'The broker admits no more clients.';
      body = `Another client holds the robot and every observer slot (websocket.max_observers) is taken. Close another panel or program, or wait: trying again in ${wait} s (attempt ${s.attempt}).`;
      buttons.push(retry());
      if (this.actions.watchInstead) buttons.push(h('button', { class: 'btn small ghost', text: 'Watch read-only', onclick: () => this.actions.watchInstead?.() }));
    } else if (s.kind === 'reconnecting') {
      title = 'Connection to the broker lost.';
      body = `${s.reason}. Reconnecting: attempt ${s.attempt}, next try in ${wait} s.`;
      buttons.push(retry());
    } else if (s.kind === 'unauthorized') {
      tone = 'err';
      title = 'The broker refused the token.';
      body = 'Paste the token from the broker’s start banner (or the whole panel URL).';
      buttons.push(h('button', { class: 'btn small', text: 'Enter token', onclick: () => this.actions.changeToken() }));
    } else if (s.kind === 'unavailable') {
      tone = 'err';
      title = 'Watch mode is not available.';
      body = `${s.reason}.`;
    } else if (s.kind === 'connected' && w?.state === 'failed') {
      tone = 'err';
      title = 'The worker crashed too often and was not restarted.';
      body = `${w.reason ?? 'unknown reason'}. Upload a fixed project, or press Start to try again.`;
    } else if (s.kind === 'connected' && w?.state === 'stopped') {
      tone = 'err';
      title = 'The worker is stopped.';
      body = 'The broker is shutting down.';
    }
    if (s.kind === 'connecting' && this.bannerBody && /^(busy|reconnecting):/.test(this.bannerKey)) {
      // A retry in flight: keep the banner (and its buttons) instead of flickering it away.
      this.bannerBody.textContent = 'Trying now…';
      return;
    }
    if (!title) {
      this.banner.hidden = true;
      this.banner.replaceChildren();
      this.bannerKey = '';
      return;
    }
    const key = `${s.kind}:${'attempt' in s ? s.attempt : ''}:${w?.state}`;
    if (key === this.bannerKey && this.bannerBody) {
      // Only the countdown moved: rebuilding would eat a click landing on a button.
      this.bannerBody.textContent = body;
      return;
    }
    this.bannerKey = key;
    this.bannerBody = h('span', { text: body });
    this.banner.hidden = false;
    this.banner.className = `banner tone-${tone}`;
    this.banner.dataset.kind = s.kind === 'connected' ? `worker-${w?.state}` : s.kind;
    this.banner.replaceChildren(h('div', { class: 'banner-text' }, h('strong', { text: title }), ' ', this.bannerBody), h('div', { class: 'banner-actions' }, ...buttons));
  }
}

function pill(el: HTMLElement, tone: Tone, label: string, title: string, detail = ''): void {
  el.className = `pill tone-${tone}`;
  el.title = title;
  el.replaceChildren(h('i'), h('b', { text: label }), ...(detail ? [h('small', { text: detail })] : []));
}
