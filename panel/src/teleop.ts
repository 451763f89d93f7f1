/**
 * Keyboard teleop: hold W A S D (or the arrows) on the teleop pad and the chosen
 * Move-like method is called at a fixed rate with the velocity the keys make.
 *
 * A deadman, never a latch: releasing the last key, the pad losing focus, the window
 * losing focus or the tab going to the background calls the stop method at once.
 * Keys count only while the pad has focus, so typing args never drives the robot.
 * At most one move call is in flight: a slow link skips ticks instead of queueing
 * stale velocities. Teleop calls stay out of the call history (10 a second would drown it).
 */
import type { MethodInfo, ServerToClientEvents, StartResult } from '#protocol';
import { $, h, stored } from './dom.js';
import type { Link } from './link.js';
import { literal } from './method-form.js';
import { STOP_NAMES } from './stop.js';

type Dir = 'up' | 'down' | 'left' | 'right';

const OPEN_KEY = 'robot-control.teleop-open';

const KEYS: Record<string, Dir> = { w: 'up', arrowup: 'up', s: 'down', arrowdown: 'down', a: 'left', arrowleft: 'left', d: 'right', arrowright: 'right' };
/** Parameter names a velocity command uses for forward speed and turn rate (and sideways speed, sent as 0). */
const FORWARD = ['vx', 'linear_x', 'linear', 'forward', 'speed', 'v', 'x'];
const TURN = ['vyaw', 'angular_z', 'angular', 'wz', 'omega', 'turn', 'yaw', 'w'];
const SIDEWAYS = ['vy', 'linear_y', 'y'];

interface Target {
  object: string;
  method: string;
  info: MethodInfo | null;
}

/** How well a method fits "drive at a velocity": velocity parameters beat a Move-ish name; hooks never. */
function driveScore(method: string, info: MethodInfo | null): number {
  if (info?.hook) return 0;
  const names = info?.params.map((p) => p.name.toLowerCase()) ?? [];
  let score = 0;
  if (names.some((n) => FORWARD.includes(n))) score += 2;
  if (names.some((n) => TURN.includes(n))) score += 2;
  if (/^(move|drive|set_?velocity|cmd_?vel|twist|velocity)$/i.test(method)) score += 3;
  else if (/move|drive|velocity|twist/i.test(method) && !/stop|for$/i.test(method)) score += 1;
  return score;
}

/** The args for one tick: the velocity, shaped as the method takes it (one object, or positional). */
export function velocityArgs(info: MethodInfo | null, v: { forward: number; turn: number }): unknown[] | Record<string, unknown> {
  const valueFor = (name: string): number | undefined => {
    const n = name.toLowerCase();
    if (FORWARD.includes(n)) return v.forward;
    if (TURN.includes(n)) return v.turn;
    if (SIDEWAYS.includes(n)) return 0;
    return undefined;
  };
  if (!info || info.params.length === 0) return { vx: v.forward, vy: 0, vyaw: v.turn };
  if (info.args === 'object') {
    const o: Record<string, unknown> = {};
    for (const p of info.params) {
      const value = valueFor(p.name);
      if (value !== undefined) o[p.name] = value;
    }
    return o;
  }
  return info.params.map((p) => valueFor(p.name) ?? literal(p.default) ?? 0);
}

export class Teleop {
  private readonly methodPick = $<HTMLSelectElement>('teleop-method');
  private readonly stopPick = $<HTMLSelectElement>('teleop-stop');
  private readonly speed = $<HTMLInputElement>('teleop-speed');
  private readonly turn = $<HTMLInputElement>('teleop-turn');
  private readonly rate = $<HTMLSelectElement>('teleop-rate');
  private readonly pad = $<HTMLButtonElement>('teleop-pad');
  private readonly status = $('teleop-status');
  private readonly badge = $('teleop-state');
  private project: StartResult | null = null;
  private readonly held = new Set<Dir>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private inFlight = false;
  /** A move went out since the last stop: releasing must stop. */
  private moving = false;
  private connected = false;
  private sent = 0;
  private stops = 0;
  /** The last thing worth saying (stopped, and why; a robot error), until the next drive. */
  private note: string | null = null;

  constructor(private readonly link: Link<ServerToClientEvents>) {
    this.pad.addEventListener('keydown', (e) => this.key(e, true));
    this.pad.addEventListener('keyup', (e) => this.key(e, false));
    this.pad.addEventListener('focus', () => this.render());
    // Deadman: focus gone, window gone, tab hidden.
    this.pad.addEventListener('blur', () => this.release('focus left the pad'));
    window.addEventListener('blur', () => this.release('the window lost focus'));
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) this.release('the tab was hidden');
    });
    // Open or folded, as the operator left it.
    const details = $<HTMLDetailsElement>('teleop-details');
    details.open = stored.get<boolean>(localStorage, OPEN_KEY, false);
    details.addEventListener('toggle', () => {
      stored.set(localStorage, OPEN_KEY, details.open);
      if (!details.open) this.release('teleop folded');
    });
    this.methodPick.addEventListener('change', () => this.pickStop());
    this.rate.addEventListener('change', () => this.restartTimer());
    this.render();
  }

  setProject(p: StartResult | null): void {
    this.release('the project changed');
    this.project = p;
    const candidates: Array<Target & { score: number }> = [];
    for (const [object, methods] of Object.entries(p?.objects ?? {})) {
      for (const method of methods) {
        const info = p?.methods?.[object]?.[method] ?? null;
        const score = driveScore(method, info);
        if (score > 0) candidates.push({ object, method, info, score });
      }
    }
    candidates.sort((a, b) => b.score - a.score);
    this.methodPick.replaceChildren(
      ...(candidates.length ? candidates.map((c) => h('option', { text: `${c.object}.${c.method}`, data: { object: c.object, method: c.method } })) : [h('option', { text: 'no Move-like method' })]),
    );
    this.pickStop();
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    if (!connected) this.release('the connection dropped');
    this.render();
  }

  private target(select: HTMLSelectElement): Target | null {
    const o = select.selectedOptions[0]?.dataset;
    if (!o?.object || !o.method) return null;
    return { object: o.object, method: o.method, info: this.project?.methods?.[o.object]?.[o.method] ?? null };
  }

  /** The stop methods of the drive method's object, the motion stop first (as the STOP button chooses). */
  private pickStop(): void {
    const drive = this.target(this.methodPick);
    const methods = drive ? (this.project?.objects[drive.object] ?? []) : [];
    const stops = methods.filter((m) => STOP_NAMES.includes(m) || /stop|halt|brake/i.test(m)).sort((a, b) => rank(a) - rank(b));
    this.stopPick.replaceChildren(...(stops.length && drive ? stops.map((m) => h('option', { text: `${drive.object}.${m}`, data: { object: drive.object, method: m } })) : [h('option', { text: 'no stop method' })]));
    this.render();
  }

  private key(e: KeyboardEvent, down: boolean): void {
    const dir = KEYS[e.key.toLowerCase()];
    if (!dir) return;
    e.preventDefault(); // arrows must not scroll the page
    if (down) {
      if (e.repeat || this.held.has(dir) || !this.ready()) return;
      this.held.add(dir);
      this.restartTimer();
      this.tick();
    } else {
      this.held.delete(dir);
      if (this.held.size === 0) this.release('keys released');
      else this.tick();
    }
    this.render();
  }

  private ready(): boolean {
    return this.connected && !!this.target(this.methodPick) && !!this.target(this.stopPick);
  }

  private restartTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.held.size > 0) this.timer = setInterval(() => this.tick(), 1000 / Number(this.rate.value || 10));
  }

  private velocity(): { forward: number; turn: number } {
    const speed = Math.abs(Number(this.speed.value) || 0);
    const turn = Math.abs(Number(this.turn.value) || 0);
    const f = (this.held.has('up') ? 1 : 0) - (this.held.has('down') ? 1 : 0);
    const t = (this.held.has('left') ? 1 : 0) - (this.held.has('right') ? 1 : 0);
    return { forward: f * speed, turn: t * turn };
  }

  /** One move call with the velocity the held keys make, unless the last one is still in flight. */
  private tick(): void {
    const drive = this.target(this.methodPick);
    if (!drive || this.held.size === 0 || this.inFlight || !this.link.connected) return;
    const v = this.velocity();
    this.inFlight = true;
    this.moving = true;
    this.note = null;
    this.sent++;
    this.status.textContent = `driving: forward ${v.forward} · turn ${v.turn} · ${this.rate.value} Hz`;
    void this.link
      .call('process', { params: { object: drive.object, method: drive.method, args: velocityArgs(drive.info, v) } })
      .then(({ ack }) => {
        if (ack.status === 'error') this.note = this.status.textContent = `${drive.method}: ${ack.data.code} ${ack.message}`;
      })
      .catch(() => {})
      .finally(() => {
        this.inFlight = false;
        this.render();
      });
    this.render();
  }

  /** The deadman: no keys, no timer, and the stop method, once, if a move went out. */
  private release(why: string): void {
    this.held.clear();
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.moving) {
      this.moving = false;
      const stop = this.target(this.stopPick);
      if (stop && this.link.connected) {
        this.stops++;
        void this.link.call('process', { params: { object: stop.object, method: stop.method } }).catch(() => {});
        this.note = `stopped (${why}): ${stop.object}.${stop.method}`;
      }
    }
    this.render();
  }

  private render(): void {
    const ready = this.ready();
    this.methodPick.disabled = !this.project || !this.target(this.methodPick);
    this.stopPick.disabled = !this.target(this.stopPick);
    this.pad.disabled = !ready;
    const state = this.held.size > 0 ? 'driving' : ready && document.activeElement === this.pad ? 'armed' : ready ? 'idle' : 'off';
    this.pad.dataset.state = state;
    this.pad.dataset.sent = String(this.sent);
    this.pad.dataset.stops = String(this.stops);
    for (const k of this.pad.querySelectorAll<HTMLElement>('kbd')) k.classList.toggle('down', this.held.has(k.dataset.key as Dir));
    this.badge.textContent = state;
    this.badge.className = `badge ${state === 'driving' ? 'tone-warn' : state === 'armed' ? 'tone-ok' : 'tone-wait'}`;
    if (state === 'driving') return; // tick() says what is being sent
    this.status.textContent =
      state === 'off'
        ? !this.connected
          ? 'Not connected'
          : !this.target(this.methodPick)
            ? 'Press Start: teleop needs a Move-like method'
            : 'No stop method on that object: teleop needs one for its deadman'
        : (this.note ?? (state === 'armed' ? 'Armed: hold W A S D or the arrows' : 'Click here, then hold W A S D or the arrows'));
  }
}

function rank(method: string): number {
  const i = STOP_NAMES.indexOf(method);
  return i < 0 ? STOP_NAMES.length : i;
}
