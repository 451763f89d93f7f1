/**
 * One spawned worker as the lifecycle sees it: the process, its ZeroMQ routing id,
 * and `ready`, the one place readiness is kept. "Ready" means the worker said so over
 * ZeroMQ (after its publisher saw the server's subscription) and the sandbox vouched
 * for the frame; not that a process was spawned. Current, spare and update candidate
 * are all handles: only the supervisor's roles differ.
 */
import { BrokerError } from '../../ipc/errors.js';
import { deferred } from '../../ipc/promises.js';
import type { WorkerProcess } from '../worker-process.js';

export class WorkerHandle {
  readonly id: string;
  private readonly readiness = deferred<void>();
  private said = false;

  constructor(readonly proc: WorkerProcess) {
    this.id = proc.routingId;
    void proc.exited.then((exit) =>
      this.readiness.reject(new BrokerError('E_WORKER_CRASHED', `the worker died before it was ready: ${exit.reason}`, { reason: exit.reason })),
    );
  }

  get generation(): number {
    return this.proc.generation;
  }

  get pid(): number | null {
    return this.proc.pid;
  }

  /** Resolves when the worker has said ready; rejects if it exits first. */
  get ready(): Promise<void> {
    return this.readiness.promise;
  }

  get isReady(): boolean {
    return this.said;
  }

  /** Its verified `ready` frame arrived. */
  markReady(): void {
    this.said = true;
    this.readiness.resolve();
  }
}
