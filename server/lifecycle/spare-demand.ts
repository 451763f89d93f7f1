/**
 * How many spare workers are wanted now (standby.ts keeps that many).
 *
 * - `worker.standby: N`: N.
 * - `worker.standby: auto` (the default): one, and one more each time an operation finds
 *   no spare ready within BURST_MS of the take before it, up to MAX_STANDBY.
 *   That is updates (or crashes) coming faster than a spare boots, ~150 ms here: a save
 *   loop, a script's updates back to back. One spare covers updates seconds apart; a
 *   burst of N updates needs N spares booted before it (docs/PERFORMANCE.md), so the
 *   first burst teaches the pool and the next ones find it grown.
 * - Quiet (`worker.standby_quiet` seconds without a client command; 0: never): none. An
 *   idle broker holds only the worker that serves, and auto starts again from one. The
 *   next command (or an operator connecting) wants them back at once, and their boot
 *   overlaps what the operator does next; an update sent first thing after a pause
 *   starts a worker of its own (the spare's spawn waits for no operation to run).
 */
import { performance } from 'node:perf_hooks';

/** Takes this close together, the second finding no spare ready, grow auto's pool. */
export const BURST_MS = 5000;
/** A quiet broker that cannot retire its spares now (an operation runs) tries again this much later. */
const RETRY_MS = 1000;

export type StandbySetting = number | 'auto';

export interface DemandHooks {
  /** May the spares go now? (Not while an operation runs: it may be taking one.) */
  canRest(): boolean;
  /** Quiet: retire every spare. */
  rest(): void;
  /** Wanted again after a rest: spawn them. */
  wake(): void;
}

export class SpareDemand {
  /** Spares auto added to its one, by bursts since the last rest. */
  private grown = 0;
  private lastTakeAt = Number.NEGATIVE_INFINITY;
  private lastUsedAt = performance.now();
  private resting = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly setting: StandbySetting,
    /** Without a client command this long, the spares are retired (0: never). */
    private readonly quietMs: number,
    private readonly max: number,
    private readonly hooks: DemandHooks,
  ) {
    this.arm(quietMs);
  }

  /** The spares wanted now. */
  get wanted(): number {
    if (this.resting) return 0;
    return this.setting === 'auto' ? Math.min(this.max, 1 + this.grown) : this.setting;
  }

  /** Is the pool retired for quiet (until the next command)? */
  get isResting(): boolean {
    return this.resting;
  }

  /** An operation took a spare; `starved`: none was ready. True when that grew the pool. */
  took(starved: boolean): boolean {
    const now = performance.now();
    const grow = this.setting === 'auto' && starved && now - this.lastTakeAt < BURST_MS && this.wanted < this.max;
    if (grow) this.grown++;
    this.lastTakeAt = now;
    return grow;
  }

  /** A client command arrived (or a client was admitted). Cheap: it runs on every call. */
  used(): void {
    this.lastUsedAt = performance.now();
    if (!this.resting) return;
    this.resting = false;
    this.arm(this.quietMs);
    this.hooks.wake();
  }

  /** For good: no timer is armed again. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(delayMs: number): void {
    if (this.quietMs <= 0 || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), delayMs);
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    const quietFor = performance.now() - this.lastUsedAt;
    if (quietFor < this.quietMs) return this.arm(this.quietMs - quietFor);
    if (!this.hooks.canRest()) return this.arm(RETRY_MS);
    this.resting = true;
    this.grown = 0;
    this.hooks.rest();
  }
}
