/**
 * How a worker is made to go (Jupyter's shutdown_wait_time, execa's forceKillAfterDelay):
 * a polite `shutdown` request (the worker runs its robot's stop() hooks and exits),
 * then SIGTERM, then SIGKILL. Each step has a named deadline.
 */
import { BrokerError } from '../../ipc/errors.js';
import { sleep } from '../../ipc/promises.js';
import type { RpcRouter } from '../../ipc/rpc-router.js';
import type { WorkerExit } from '../worker-process.js';
import type { WorkerHandle } from './worker-handle.js';

/** After SIGTERM, this long before SIGKILL. */
export const TERM_GRACE_MS = 1000;
/** A worker that answered `shutdown` exits on its own; this long before it is forced. */
export const EXIT_AFTER_REPLY_MS = 1000;
/** At broker stop the polite step is cut to this, so the whole stop fits in a few seconds. */
export const STOP_POLITE_MAX_MS = 2500;

/**
 * Stop `w`: politely within `politeMs` (0: skip straight to SIGTERM, for a worker that
 * cannot answer: wedged, frozen, or holding code that failed to load), then by force.
 */
export async function stopWorker(w: WorkerHandle, router: RpcRouter, politeMs: number): Promise<WorkerExit> {
  if (politeMs > 0 && w.isReady) {
    const answered = router.request(w.id, 'shutdown', {}, { timeoutMs: politeMs }).then(
      () => true,
      () => false,
    );
    const first = await Promise.race([w.proc.exited.then(() => 'exited' as const), answered.then((ok) => (ok ? 'answered' : 'silent'))]);
    if (first === 'exited') return w.proc.exited;
    if (first === 'answered') {
      const gone = await Promise.race([w.proc.exited.then(() => true), sleep(EXIT_AFTER_REPLY_MS).then(() => false)]);
      if (gone) return w.proc.exited;
    }
  }
  return w.proc.kill(TERM_GRACE_MS);
}

/** What calls still in flight to a retired worker are answered. */
export function restartedError(reason: string): BrokerError {
  return new BrokerError('E_WORKER_RESTARTED', `the worker was restarted (${reason})`, { reason });
}
