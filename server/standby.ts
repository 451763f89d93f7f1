/**
 * A spare worker, spawned ahead of need: connected, ready, with no project loaded.
 * When the supervisor must replace its worker (after an update, a crash), it takes
 * the spare instead of spawning, so the time to ready no longer includes starting
 * Node and ZeroMQ. A spare that keeps dying is given up on, not respawned forever.
 */
import type { Logger } from './logger.js';
import type { WorkerProcess } from './worker-process.js';

/** Wait this long after a spare is taken before spawning the next: let the new project load first. */
const RESPAWN_DELAY_MS = 300;
/** Spares that die before they are used, in a row, before the standby is switched off. */
const MAX_FAILURES = 3;

export class Standby {
  private spare: { worker: WorkerProcess; routingId: string | null } | null = null;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly enabled: boolean,
    /** Spawn a worker process (the supervisor numbers its generation and watches its exit). */
    private readonly spawn: () => WorkerProcess,
    private readonly log: Logger,
  ) {}

  /** Spawn a spare soon, unless one exists or the standby is off. */
  schedule(delayMs = RESPAWN_DELAY_MS): void {
    if (!this.enabled || this.stopped || this.spare || this.timer || this.failures >= MAX_FAILURES) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || this.spare) return;
      const worker = this.spawn();
      this.spare = { worker, routingId: null };
      this.log.debug({ gen: worker.generation, pid: worker.pid }, 'standby worker spawned');
    }, delayMs);
  }

  /** A worker said ready: true when it was the spare. */
  onReady(generation: number, routingId: string): boolean {
    if (this.spare?.worker.generation !== generation) return false;
    this.spare.routingId = routingId;
    this.failures = 0;
    return true;
  }

  /** A worker exited: true when it was the spare (which is then replaced, within limits). */
  onExit(worker: WorkerProcess, reason: string): boolean {
    if (this.spare?.worker !== worker) return false;
    this.spare = null;
    this.failures++;
    this.log.warn({ gen: worker.generation, reason, failures: this.failures }, 'standby worker died');
    if (this.failures >= MAX_FAILURES) this.log.error('standby workers keep dying: standby switched off');
    this.schedule(1000);
    return true;
  }

  /**
   * The spare, handed over (and the next one scheduled), or null. A spare still
   * starting is handed over too (`routingId` null): it is further along than a new
   * process would be, and generations stay in the order workers became current.
   */
  take(): { worker: WorkerProcess; routingId: string | null } | null {
    const spare = this.spare;
    if (!spare) return null;
    this.spare = null;
    this.schedule();
    return spare;
  }

  /** Stop spawning; the spare (if any) is returned for the caller to retire. */
  stop(): WorkerProcess | null {
    this.stopped = true;
    clearTimeout(this.timer);
    const spare = this.spare?.worker ?? null;
    this.spare = null;
    return spare;
  }
}
