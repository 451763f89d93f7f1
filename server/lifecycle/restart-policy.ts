/**
 * When a worker dies, restart it or give up (Jupyter's KernelRestarter): at most
 * `limit` quick restarts; a worker that stayed up `stableMs` resets the count.
 * A pure function, so the policy is tested without processes.
 */
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
