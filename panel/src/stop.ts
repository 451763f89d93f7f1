/**
 * The STOP button: the broker's `emergency_stop`, which runs the project's `stop()`
 * hooks from any client, observers included. Armed as soon as the broker says a
 * project is loaded (its `project` event): no Start needed. Escape presses it.
 * STOP_NAMES is how teleop picks the stop method that halts a drive.
 */
import type { EmergencyStopResult, StartResult } from '#protocol';
import { $ } from './dom.js';

/** Most specific first: a motion stop beats a generic one. */
export const STOP_NAMES = ['StopMove', 'stop_move', 'EmergencyStop', 'emergency_stop', 'stop', 'Stop'];

/** The objects whose `stop()` hook emergency_stop runs (from the project's method list). */
export function stopHooks(project: StartResult | null): string[] {
  if (!project) return [];
  return Object.entries(project.objects)
    .filter(([, methods]) => methods.includes('stop'))
    .map(([object]) => object);
}

export class StopButton {
  private readonly button = $<HTMLButtonElement>('stop-btn');
  private readonly detail = $('stop-detail');
  private project: StartResult | null = null;
  private connected = false;

  constructor(
    private readonly stop: () => Promise<EmergencyStopResult>,
    private readonly told: (text: string, ok: boolean) => void,
  ) {
    this.button.addEventListener('click', () => this.press());
    window.addEventListener('keydown', (e) => {
      // Escape stops the robot from anywhere, even while typing args.
      if (e.key === 'Escape' && !e.repeat && !document.querySelector('dialog[open]')) this.press();
    });
    this.render();
  }

  setProject(project: StartResult | null): void {
    this.project = project;
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
    this.stop().then(
      // The broker names each hook it ran ("sport_client.stop"): the objects are what the operator knows.
      (r) => this.told(r.stopped.length ? `STOP: stopped ${r.stopped.map((s) => s.replace(/\.stop$/, '')).join(', ')}` : 'STOP: the project has no stop() hook', r.stopped.length > 0),
      (e: Error) => this.told(`STOP failed: ${e.message}`, false),
    );
  }

  private render(): void {
    const hooks = stopHooks(this.project);
    this.button.disabled = !this.connected || !this.project;
    this.button.dataset.armed = String(!this.button.disabled);
    this.detail.textContent = !this.project ? 'no project loaded' : hooks.length === 0 ? 'no stop() hook' : hooks.length === 1 ? `${hooks[0]}.stop()` : `${hooks[0]}.stop() +${hooks.length - 1}`;
    this.button.title = !this.project
      ? 'Armed once the broker has a project loaded'
      : `Emergency stop: runs ${hooks.length ? hooks.map((o) => `${o}.stop()`).join(', ') : 'the project’s stop() hooks (it has none)'}, from any tab (Escape)`;
  }
}
