/**
 * When a worker dies, restart it or give up (Jupyter's KernelRestarter): at most
 * `limit` quick restarts; a worker that stayed up `stableMs` resets the count.
 * A pure function, so the policy is tested without processes; `Restarts` keeps what
 * it judges.
 */
import type { CrashReport } from './state-machine.js';

export interface RestartPolicy {
  /** Quick restarts allowed before the `failed` state. */
  limit: number;
  /** A worker up this long (ms) counts as stable: its death starts a fresh count. */
  stableMs: number;
}

export interface RestartHistory {
  /** Quick restarts so far. */
  count: number;
}

export type RestartDecision = { action: 'restart'; history: RestartHistory } | { action: 'fail'; history: RestartHistory };

export function decideRestart(history: RestartHistory, upForMs: number, policy: RestartPolicy): RestartDecision {
  const count = upForMs >= policy.stableMs ? 1 : history.count + 1;
  return count > policy.limit ? { action: 'fail', history: { count } } : { action: 'restart', history: { count } };
}

/**
 * The supervisor's memory of restarts: the quick ones in a row (what the policy judges),
 * all of them (what status shows), the last crash (what /health shows), and since when
 * the current worker has served (what makes it stable).
 */
export class Restarts {
  private history: RestartHistory = { count: 0 };
  /** Restarts since the broker started. */
  total = 0;
  /** When the current worker began to serve (ms since the epoch). */
  upSince = 0;
  lastCrash: (CrashReport & { exitReason: string }) | null = null;

  constructor(private readonly policy: RestartPolicy) {}

  /** A worker began to serve. */
  serving(): void {
    this.upSince = Date.now();
  }

  /** `start` after `failed`, or an update landing then: the count starts again. */
  cleared(): void {
    this.history = { count: 0 };
  }

  crashed(crash: CrashReport, exitReason: string): void {
    this.lastCrash = { ...crash, exitReason };
  }

  /** A worker died, or its replacement did not start, after `upForMs`: restart (counted), or give up; `inARow`: the quick restarts before this one. */
  decide(upForMs: number): { restart: boolean; inARow: number } {
    const d = decideRestart(this.history, upForMs, this.policy);
    this.history = d.history;
    if (d.action === 'restart') this.total++;
    return { restart: d.action === 'restart', inARow: d.history.count - 1 };
  }
}
