/**
 * A spare worker, spawned ahead of need: connected, ready, with no project loaded.
 * When the supervisor needs a new worker (after a crash, to verify an update) it takes
 * the spare instead of spawning, so the time to ready no longer includes starting
 * Node and ZeroMQ. A spare must prove it is alive before it is used: it answers a ping
 * within SPARE_PING_TIMEOUT_MS or it is discarded (a frozen spare would otherwise turn
 * a 40 ms recovery into a heartbeat timeout). A spare that keeps dying is given up on.
 *
 * Taking the spare spawns the next one (once the spare taken is loading its project), so
 * an operation may briefly have three workers: the one serving, the spare it took, and
 * the next spare booting.
 */
import { withDeadline } from '../../ipc/promises.js';
import type { ProjectType } from '../../ipc/protocol.js';
import type { Logger } from '../logger.js';
import type { WorkerHandle } from './worker-handle.js';

/** Wait this long after an operation before spawning the next spare: let the new project load first. */
const RESPAWN_DELAY_MS = 300;
/** A ready spare must answer a ping this fast to be used. */
export const SPARE_PING_TIMEOUT_MS = 500;
/**
 * A spare still booting is waited for this long at most: it is further along than a new
 * process, but one frozen or stuck mid-boot must not cost a whole start_timeout.
 */
export const SPARE_BOOT_WAIT_MS = 2000;
/** Spares that die before they are used, in a row, before the standby is switched off. */
const MAX_FAILURES = 3;

export interface StandbyHooks {
  /** Spawn a worker process, ready for a project of `type` (absent: the current project's). */
  spawn(type?: ProjectType): WorkerHandle;
  /**
   * May a spare be spawned now, on the timer? (Not while an operation runs: it may be
   * loading a project of another type, which the spare must be made ready for.) Taking
   * the spare spawns the next one whatever this says, ready for the type being loaded.
   */
  allowed(): boolean;
  /** Does `w` answer a ping within `timeoutMs`? */
  ping(w: WorkerHandle, timeoutMs: number): Promise<boolean>;
  /** Get rid of a spare that failed its ping. */
  discard(w: WorkerHandle): void;
}

export class Standby {
  private spare: WorkerHandle | null = null;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  /** A ready spare was taken and the next one is not spawned yet: for this type (spawnOwed). */
  private owed: { type?: ProjectType } | null = null;

  constructor(
    private readonly enabled: boolean,
    private readonly hooks: StandbyHooks,
    private readonly log: Logger,
  ) {}

  /** Spawn a spare soon, unless one exists, the standby is off, or spawning is not allowed then. */
  schedule(delayMs = RESPAWN_DELAY_MS): void {
    if (!this.wanted() || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.hooks.allowed()) this.spawnNow();
    }, delayMs);
    this.timer.unref();
  }

  /** Is a spare missing, and may one be had? */
  private wanted(): boolean {
    return this.enabled && !this.stopped && !this.spare && this.failures < MAX_FAILURES;
  }

  /** Spawn the spare owed since a ready one was taken, if not done yet. Called once that one is loading, so the fork overlaps its load. */
  spawnOwed(): void {
    if (this.owed) this.spawnNow(this.owed.type);
  }

  private spawnNow(type?: ProjectType): void {
    this.owed = null;
    if (!this.wanted()) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.spare = this.hooks.spawn(type);
    this.log.debug({ gen: this.spare.generation, workerPid: this.spare.pid }, 'standby worker spawned');
  }

  /**
   * The spare, handed over once it has proved it is alive; null when there is none or
   * it failed the test (then it is discarded). A spare still booting is waited for, up
   * to SPARE_BOOT_WAIT_MS. `next`: the type of project the worker taken is for (the
   * next spare is made ready for the same).
   */
  async take(next?: ProjectType): Promise<WorkerHandle | null> {
    const spare = this.spare;
    if (!spare) return null;
    this.spare = null;
    // The next spare boots while this one does the work it was taken for: operations back
    // to back (updates, a crash loop) each find a spare booted, or booting since the last.
    // Spawning holds the event loop for a fork (7-10 ms measured beside a 50 MB upload), so
    // for a spare that is ready it is owed, and forked once the spare is loading (spawnOwed);
    // one still booting is waited for beside the next.
    if (spare.isReady) this.owed = { type: next };
    else this.spawnNow(next);
    const booted = spare.isReady || (await withDeadline(spare.ready, SPARE_BOOT_WAIT_MS, () => new Error('boot timeout')).then(() => true, () => false));
    if (booted && (await this.hooks.ping(spare, SPARE_PING_TIMEOUT_MS))) return spare;
    this.spawnOwed();
    this.log.warn({ gen: spare.generation, workerPid: spare.pid, booted }, `standby worker did not answer (${booted ? `a ping within ${SPARE_PING_TIMEOUT_MS} ms` : `ready within ${SPARE_BOOT_WAIT_MS} ms`}): discarded`);
    this.hooks.discard(spare);
    return null;
  }

  /** A worker exited: true when it was the spare (which is then replaced, within limits). */
  onExit(w: WorkerHandle, reason: string): boolean {
    if (this.spare !== w) return false;
    this.spare = null;
    this.failures++;
    this.log.warn({ gen: w.generation, reason, failures: this.failures }, 'standby worker died');
    if (this.failures >= MAX_FAILURES) this.log.error('standby workers keep dying: standby switched off');
    this.schedule(1000);
    return true;
  }

  /** A spare became useful (it was promoted): the failure count starts again. */
  proved(): void {
    this.failures = 0;
  }

  /** Stop spawning (the worker pool retires the spare with every other worker). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.spare = null;
  }
}
