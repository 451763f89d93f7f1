/**
 * Spare workers, spawned ahead of need: connected, ready, with no project loaded.
 * When the supervisor needs a new worker (after a crash, to verify an update) it takes
 * a spare instead of spawning, so the time to ready no longer includes starting
 * Node and ZeroMQ. A spare must prove it is alive before it is used: it answers a ping
 * within SPARE_PING_TIMEOUT_MS or it is discarded (a frozen spare would otherwise turn
 * a 40 ms recovery into a heartbeat timeout). Spares that keep dying are given up on.
 *
 * How many are kept is spare-demand.ts's: `worker.standby` (auto by default: one, more
 * after updates back to back), none after `worker.standby_quiet` without a command.
 * Taking a spare spawns the next one (once the spare taken is loading its project), so
 * an operation may briefly have a worker more than the count: the one serving, the spare
 * it took, and the next spare booting. Updates back to back (a script, a save loop) each
 * wait for the rest of a boot unless more spares were ready before them.
 */
import { withDeadline } from '../../ipc/promises.js';
import type { ProjectType } from '../../ipc/protocol.js';
import { MAX_STANDBY } from '../config.js';
import type { Logger } from '../logger.js';
import { SpareDemand, type StandbySetting } from './spare-demand.js';
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
  /** Spawn a worker process, ready for a project of `type` (a Python one starts its interpreter too). */
  spawn(type: ProjectType | undefined): WorkerHandle;
  /** The type of the project serving now (none yet: undefined), which spares are made ready for by default. */
  projectType(): ProjectType | undefined;
  /**
   * May a spare be spawned now, on the timer? (Not while an operation runs: it may be
   * loading a project of another type, which the spare must be made ready for.) Taking
   * the spare spawns the next one whatever this says, ready for the type being loaded.
   */
  allowed(): boolean;
  /** Does `w` answer a ping within `timeoutMs`? */
  ping(w: WorkerHandle, timeoutMs: number): Promise<boolean>;
  /** Get rid of a spare (it failed its ping, or the broker went quiet). */
  retire(w: WorkerHandle, reason: string): void;
}

/** The spares wanted now (spare-demand.ts), and how many are ready or booting. */
export interface SpareCounts {
  kept: number;
  ready: number;
  booting: number;
}

/** A spare, and the type of project it was made ready for. */
interface Spare {
  w: WorkerHandle;
  type: ProjectType | undefined;
}

export class Standby {
  /** Oldest first: booting or ready. */
  private spares: Spare[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  /** A ready spare was taken and the next one is not spawned yet: for this type (spawnOwed). */
  private owed: { type?: ProjectType } | null = null;
  private readonly demand: SpareDemand;

  constructor(
    /** Spares to keep (0: none), or auto. */
    setting: StandbySetting,
    /** Without a client command this long, the spares are retired (0: never). */
    quietMs: number,
    private readonly hooks: StandbyHooks,
    private readonly log: Logger,
  ) {
    this.demand = new SpareDemand(setting, quietMs, MAX_STANDBY, {
      canRest: () => hooks.allowed(),
      rest: () => this.rest(),
      wake: () => this.schedule(0, RESPAWN_DELAY_MS),
    });
  }

  /** For /stats and /metrics. */
  counts(): SpareCounts {
    const ready = this.ready().length;
    return { kept: this.demand.wanted, ready, booting: this.spares.length - ready };
  }

  /** A client command arrived: the spares are wanted (back, after a quiet spell). */
  used(): void {
    this.demand.used();
  }

  /** The spares that have said ready, oldest first. */
  private ready(): Spare[] {
    return this.spares.filter((s) => s.w.isReady);
  }

  /**
   * Spawn the spares missing, the first in `delayMs` and the others one per `thenMs` (a
   * fork holds the event loop), unless spawning is not allowed then (the supervisor asks
   * again after its next operation).
   */
  schedule(delayMs = RESPAWN_DELAY_MS, thenMs = delayMs): void {
    if (!this.wanted() || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.hooks.allowed()) return;
      this.spawnNow();
      this.schedule(thenMs);
    }, delayMs);
    this.timer.unref();
  }

  /** Is a spare missing, and may one be had? */
  private wanted(): boolean {
    return !this.stopped && this.spares.length < this.demand.wanted && this.failures < MAX_FAILURES;
  }

  /** Spawn the spare owed since a ready one was taken, if not done yet. Called once that one is loading, so the new one's boot overlaps the load (the fork itself holds the event loop). */
  spawnOwed(): void {
    if (this.owed) this.spawnNow(this.owed.type);
  }

  private spawnNow(type = this.hooks.projectType()): void {
    this.owed = null;
    if (!this.wanted()) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const w = this.hooks.spawn(type);
    this.spares.push({ w, type });
    this.log.debug({ gen: w.generation, workerPid: w.pid }, 'standby worker spawned');
  }

  /** The spare to take for a project of `type`: a ready one made ready for that type, else any ready one, else the oldest (still booting). */
  private pick(type: ProjectType | undefined): Spare | undefined {
    const python = (t: ProjectType | undefined) => t === 'python';
    const ready = this.ready();
    return ready.find((s) => python(s.type) === python(type)) ?? ready[0] ?? this.spares[0];
  }

  /**
   * A spare, handed over once it has proved it is alive; null when there is none that
   * does (one that fails the test is discarded, and the next ready one tried). A spare
   * still booting is waited for, up to SPARE_BOOT_WAIT_MS. `next`: the type of project
   * the worker taken is for (the next spare is made ready for the same).
   */
  async take(next?: ProjectType): Promise<WorkerHandle | null> {
    // A take with no spare at all (the broker's first worker, spares switched off, dying or retired for quiet) says nothing of demand.
    if (this.spares.length > 0 && this.demand.took(this.ready().length === 0)) {
      this.log.info({ kept: this.demand.wanted }, 'standby: one more spare kept (operations back to back found none ready)');
    }
    for (let picked = this.pick(next); picked; picked = this.pick(next)) {
      const spare = await this.prove(picked, next);
      if (spare) return spare;
      if (this.ready().length === 0) return null; // a fresh worker is no slower than one still booting
    }
    return null;
  }

  /** Take `picked` out of the pool: it, once it answered; null (and it discarded) when it did not. */
  private async prove(picked: Spare, next: ProjectType | undefined): Promise<WorkerHandle | null> {
    this.spares.splice(this.spares.indexOf(picked), 1);
    const spare = picked.w;
    // The last spare taken: the next one boots while this one does the work it was taken
    // for, so operations back to back (updates, a crash loop) each find a spare booted, or
    // booting since the last. Spawning holds the event loop for a fork (7-10 ms measured
    // beside a 50 MB upload), so for a spare that is ready it is owed, and forked once the
    // spare is loading (spawnOwed); one still booting is waited for beside the next. While
    // other spares are ready, the timer replaces this one once operations pause: a boot's
    // CPU (two cores: the loads' own) would slow the burst that the spares are there for.
    if (!spare.isReady) this.spawnNow(next);
    else if (this.ready().length === 0) this.owed = { type: next };
    const booted = spare.isReady || (await withDeadline(spare.ready, SPARE_BOOT_WAIT_MS, () => new Error('boot timeout')).then(() => true, () => false));
    if (booted && (await this.hooks.ping(spare, SPARE_PING_TIMEOUT_MS))) return spare;
    this.spawnOwed();
    this.log.warn({ gen: spare.generation, workerPid: spare.pid, booted }, `standby worker did not answer (${booted ? `a ping within ${SPARE_PING_TIMEOUT_MS} ms` : `ready within ${SPARE_BOOT_WAIT_MS} ms`}): discarded`);
    this.hooks.retire(spare, 'unresponsive spare');
    return null;
  }

  /** A worker exited: true when it was a spare (which is then replaced, within limits). */
  onExit(w: WorkerHandle, reason: string): boolean {
    const i = this.spares.findIndex((s) => s.w === w);
    if (i < 0) return false;
    this.spares.splice(i, 1);
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

  /** Quiet: every spare retired, none spawned until the next command. */
  private rest(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.owed = null;
    const gone = this.spares.splice(0);
    for (const s of gone) this.hooks.retire(s.w, 'quiet');
    if (gone.length > 0) this.log.info({ spares: gone.length }, 'quiet: standby workers retired until the next command');
  }

  /** Stop spawning (the worker pool retires the spares with every other worker). */
  stop(): void {
    this.stopped = true;
    this.demand.stop();
    clearTimeout(this.timer);
    this.spares = [];
  }
}
