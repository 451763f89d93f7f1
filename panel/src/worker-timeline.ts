/**
 * Which worker_status messages go in the events timeline: one row per change the
 * operator cares about. The transitional states (`starting`, `restarting`) show in the
 * worker pill as they happen; the timeline gets the state the worker settles in
 * (`ready`, `failed`, `stopped`), whose `reason` says why it (re)started, once per
 * state and generation. The repeat sent on every (re)connection is not a change.
 * No DOM: tested on its own.
 */
import type { WorkerStatus } from '#protocol';

const SETTLED: ReadonlySet<WorkerStatus['state']> = new Set(['ready', 'failed', 'stopped']);

export class WorkerTimeline {
  private last: { state: string; generation: number } | null = null;

  /** Whether this status makes a timeline row. */
  accept(s: WorkerStatus): boolean {
    if (!SETTLED.has(s.state)) return false;
    if (this.last && this.last.state === s.state && this.last.generation === s.generation) return false;
    this.last = { state: s.state, generation: s.generation };
    return true;
  }
}
