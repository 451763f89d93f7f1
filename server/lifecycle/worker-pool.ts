/**
 * Every worker process of this broker run that has not exited yet, whatever its role
 * (current, spare, update candidate, retiring): it numbers their generations, takes
 * their `ready` frames, retires them, and after `close()` spawns nothing more. That is
 * what makes "nothing spawns after stop" and "stop leaves no process" checkable in one
 * place.
 */
import { BrokerError } from '../../ipc/errors.js';
import { abortable, withDeadline } from '../../ipc/promises.js';
import type { ProjectType } from '../../ipc/protocol.js';
import type { WorkerConfig, WorkerReply } from '../../ipc/worker-protocol.js';
import type { RpcRouter } from '../../ipc/rpc-router.js';
import type { Logger } from '../logger.js';
import type { WorkerSandbox } from '../sandbox/sandbox.js';
import { WorkerProcess, type WorkerExit } from '../worker-process.js';
import { restartedError, stopWorker, TERM_GRACE_MS } from './shutdown.js';
import type { Standby } from './standby.js';
import { WorkerHandle } from './worker-handle.js';

export interface SpawnSettings {
  script: string;
  /** The worker's config without its generation (the pool numbers them). */
  worker: Omit<WorkerConfig, 'generation'>;
  maxMemoryMb: number;
  /** Where the workers' own log lines go (the root logger). */
  workerLog: Logger;
  /** What every worker process runs in. */
  sandbox: WorkerSandbox;
}

export class WorkerPool {
  private lastGeneration = 0;
  private readonly live = new Map<WorkerHandle, Promise<void> | null>();
  private closed = false;

  constructor(
    private readonly settings: SpawnSettings,
    private readonly router: RpcRouter,
    private readonly log: Logger,
    /** A worker that was not being retired exited: the supervisor decides what that means. */
    private readonly onDeath: (w: WorkerHandle, exit: WorkerExit) => void,
  ) {}

  /** Start a worker process with the next generation (`extra`: settings of its own). Refused once the pool is closed (the broker is stopping). */
  spawn(reason: string, extra: Pick<WorkerConfig, 'warmPython'> = {}): WorkerHandle {
    if (this.closed) throw new BrokerError('E_SHUTTING_DOWN', 'the broker is stopping: no worker is started');
    const generation = ++this.lastGeneration;
    const proc = new WorkerProcess({
      script: this.settings.script,
      config: { ...this.settings.worker, ...extra, generation },
      maxMemoryMb: this.settings.maxMemoryMb,
      log: this.settings.workerLog,
      sandbox: this.settings.sandbox,
    });
    const w = new WorkerHandle(proc);
    this.live.set(w, null);
    this.log.info({ gen: generation, workerPid: proc.pid, reason, ...extra }, 'worker spawned');
    void proc.exited.then((exit) => this.exited(w, exit));
    return w;
  }

  /**
   * A ready worker with nothing loaded, for a project of `type`: the spare if it proves
   * alive, else a new process, which must say ready within `startTimeoutMs` (else it is killed).
   */
  async fresh(reason: string, standby: Standby, type: ProjectType | undefined, startTimeoutMs: number, signal: AbortSignal): Promise<WorkerHandle> {
    const spare = await abortable(standby.take(type), signal);
    if (spare) {
      standby.proved();
      this.log.info({ gen: spare.generation, workerPid: spare.pid, reason }, 'standby worker taken');
      return spare;
    }
    const w = this.spawn(reason);
    try {
      await abortable(withDeadline(w.ready, startTimeoutMs, () => new BrokerError('E_WORKER_UNAVAILABLE', `the worker did not report ready within ${startTimeoutMs} ms`)), signal);
      return w;
    } catch (err) {
      w.proc.wedged ??= 'did not report ready in time';
      void this.retire(w, 'did not start', 0);
      throw err;
    }
  }

  /**
   * A `ready` frame from the router: accepted only from a live worker of that generation,
   * on the routing id it was given, with the secret only it was handed. False: refused
   * (the router logs and counts it).
   */
  onReady(routingId: string, msg: Extract<WorkerReply, { type: 'ready' }>): boolean {
    const w = [...this.live.keys()].find((h) => h.generation === msg.generation);
    if (!w?.proc.verifyReady(msg, routingId)) return false;
    w.markReady();
    return true;
  }

  private isRetiring(w: WorkerHandle): boolean {
    return this.live.get(w) != null;
  }

  /**
   * Make `w` go (see shutdown.ts); calls still in flight to it are answered
   * E_WORKER_RESTARTED. A worker already retiring is made to go within `politeMs`.
   */
  retire(w: WorkerHandle, reason: string, politeMs: number): Promise<void> {
    if (!this.live.has(w)) return Promise.resolve();
    const already = this.live.get(w);
    if (already) {
      const hurry = setTimeout(() => void w.proc.kill(TERM_GRACE_MS), politeMs);
      return already.finally(() => clearTimeout(hurry));
    }
    const gone = stopWorker(w, this.router, politeMs).then(() => {
      this.router.failAll(w.id, restartedError(reason));
    });
    this.live.set(w, gone);
    return gone;
  }

  /** Spawn nothing more; retire every live worker; resolve once all have exited. */
  async close(politeMs: number): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live.keys()].map((w) => this.retire(w, 'shutdown', politeMs)));
  }

  /** SIGKILL every live worker now, synchronously: the last resort of a forced exit. */
  killNow(): void {
    for (const w of this.live.keys()) w.proc.signal('SIGKILL');
  }

  private exited(w: WorkerHandle, exit: WorkerExit): void {
    const retiring = this.isRetiring(w);
    this.live.delete(w);
    if (retiring) {
      this.log.info({ gen: w.generation, ...exit }, 'worker exited');
      return;
    }
    this.onDeath(w, exit);
  }
}
