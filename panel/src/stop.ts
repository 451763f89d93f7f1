/**
 * The STOP button: calls the robot's stop methods, found in the start ack. For each
 * object, the first of STOP_NAMES it has (so sport_client.StopMove, and the
 * `stop()` hooks the broker itself calls when a client leaves). Escape presses it.
 */
import type { StartResult } from '#protocol';
import { $ } from './dom.js';

/** Most specific first: a motion stop beats a generic one. */
export const STOP_NAMES = ['StopMove', 'stop_move', 'EmergencyStop', 'emergency_stop', 'stop', 'Stop'];

export interface StopTarget {
  object: string;
  method: string;
}

export function stopTargets(project: StartResult | null): StopTarget[] {
  if (!project) return [];
  const targets: StopTarget[] = [];
  for (const [object, methods] of Object.entries(project.objects)) {
    const method = STOP_NAMES.find((name) => methods.includes(name));
    if (method) targets.push({ object, method });
  }
  // Motion first: the call that halts the robot goes out before the housekeeping ones.
  return targets.sort((a, b) => STOP_NAMES.indexOf(a.method) - STOP_NAMES.indexOf(b.method));
}

export class StopButton {
  private readonly button = $<HTMLButtonElement>('stop-btn');
  private readonly detail = $('stop-detail');
  private targets: StopTarget[] = [];
  private connected = false;

  constructor(private readonly call: (t: StopTarget) => Promise<unknown>) {
    this.button.addEventListener('click', () => this.press());
    window.addEventListener('keydown', (e) => {
      // Escape stops the robot from anywhere, even while typing args.
      if (e.key === 'Escape' && !e.repeat && !document.querySelector('dialog[open]')) this.press();
    });
    this.render();
  }

  setProject(project: StartResult | null): void {
    this.targets = stopTargets(project);
    this.render();
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    this.render();
  }

  press(): void {
    if (this.button.disabled) return;
    this.button.classList.add('fired');
    setTimeout(() => this.button.classList.remove('fired'), 600);
    for (const t of this.targets) void this.call(t);
  }

  private render(): void {
    const names = this.targets.map((t) => `${t.object}.${t.method}`);
    this.button.disabled = !this.connected || names.length === 0;
    this.detail.textContent = names.length === 0 ? 'no stop method yet' : names.length === 1 ? names[0]! : `${names[0]} +${names.length - 1}`;
    this.button.title =
      names.length === 0
        ? 'Press Start: the stop method comes from the project’s method list'
        : `Calls ${names.join(', ')} (Escape)`;
  }
}
