/**
 * The worker lifecycle's legal moves, as data (like restart-policy.ts: no processes,
 * tested on its own). The supervisor's one `transition()` consults this table and
 * refuses, and logs, any move it does not list: so once `stopped`, nothing moves again.
 */
import type { WorkerState } from '../../ipc/protocol.js';

/**
 * Where the supervisor is.
 * - `idle`: constructed, nothing started.
 * - `starting`: the first worker of this broker run is on its way.
 * - `ready`: a worker said ready and serves calls (an update's candidate is verified beside it).
 * - `restarting`: the current worker died or was killed; a replacement is on its way.
 * - `failed`: the restart policy gave up; calls fail fast until an `update` or `start`.
 * - `stopping`: the broker is stopping; every worker is being retired, nothing spawns.
 * - `stopped`: terminal.
 */
export type LifecycleState = 'idle' | 'starting' | 'ready' | 'restarting' | 'failed' | 'stopping' | 'stopped';

/** state -> the states it may move to. */
export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  idle: ['starting', 'stopping'],
  starting: ['ready', 'restarting', 'failed', 'stopping'],
  // ready -> ready: an update's verified worker is promoted in place of the current one.
  // ready -> failed: the worker died and the restart policy gives up.
  ready: ['ready', 'restarting', 'failed', 'stopping'],
  // restarting -> restarting: the replacement died too, and the policy allows another.
  restarting: ['ready', 'restarting', 'failed', 'stopping'],
  // failed -> ready: an update's verified worker; failed -> restarting: `start` tries again.
  failed: ['ready', 'restarting', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

export function isLegal(from: LifecycleState, to: LifecycleState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** What a client is told: it never sees `idle` or `stopping` (both are "no worker serving"). */
export function wireState(state: LifecycleState): WorkerState {
  return state === 'idle' || state === 'stopping' ? 'stopped' : state;
}
