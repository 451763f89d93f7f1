/**
 * The worker's lifecycle, in one place (vitest's poolRunner, Jupyter's restarter):
 *
 *   idle ─start─▶ starting ─▶ ready ◀──────────────┐ promote (update verified, replacement ready)
 *                    │          │ crash / wedged    │
 *                    │          ▼                   │
 *                    └────▶ restarting ─────────────┘
 *                               │ policy gives up
 *                               ▼
 *                            failed ── update / start ──▶ ready / restarting
 *   any ── stop ──▶ stopping ──▶ stopped            (legal moves: lifecycle/states.ts)
 *
 * Every move goes through `transition()`, which refuses (and logs) what the table does
 * not allow. Every operation that changes which worker runs what (start, crash
 * recovery, update, `start` after `failed`) runs in one queue; `stop()` closes that
 * queue, so nothing queued runs and nothing spawns after it. Processes live in the
 * worker pool; readiness, heartbeat, shutdown escalation, the restart count and the
 * update's steps each have a file of their own in lifecycle/.
 */
import { EventEmitter } from 'node:events';
import { BrokerError } from '../ipc/errors.js';
import { abortable } from '../ipc/promises.js';
import type { StartResult, UpdateResult, WorkerStatus } from '../ipc/protocol.js';
import type { ProjectInfo, WorkerCalls, WorkerCommand, WorkerReply } from '../ipc/worker-protocol.js';
import type { RequestOptions, RpcRouter } from '../ipc/rpc-router.js';
import { Heartbeat, type HeartbeatFacts } from './lifecycle/heartbeat.js';
import { OperationQueue, type Operation } from './lifecycle/operation-queue.js';
import { Restarts, type RestartPolicy } from './lifecycle/restart-policy.js';
import { STOP_POLITE_MAX_MS, TERM_GRACE_MS } from './lifecycle/shutdown.js';
import type { StandbySetting } from './lifecycle/spare-demand.js';
import { Standby, type SpareCounts } from './lifecycle/standby.js';
import { StateMachine, type CrashReport } from './lifecycle/state-machine.js';
import { isLegal } from './lifecycle/states.js';
import { verifyBeforeSwap, type UpdateTimeouts } from './lifecycle/update.js';
import type { WorkerHandle } from './lifecycle/worker-handle.js';
import { WorkerPool, type SpawnSettings } from './lifecycle/worker-pool.js';
import type { Logger } from './logger.js';
import { ProjectStore } from './storage/project-store.js';
import type { UnpackLimits } from './storage/unpack.js';
import type { IncomingUpload, Upload } from './storage/unpack-thread.js';
import type { WorkerExit } from './worker-process.js';

/** Frames past this size are logged (they explain a late heartbeat). */
const BIG_FRAME_BYTES = 1_048_576;

export interface SupervisorOptions extends SpawnSettings {
  storage: { dir: string; defaultProjectDir: string; limits: UnpackLimits };
  startTimeoutMs: number;
  stopTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  policy: RestartPolicy;
  /** Spare workers kept ready (0: none; auto: by demand, spare-demand.ts), so a restart does not wait for a process to start. */
  standby: StandbySetting;
  /** Without a client command this long, the spares are retired until the next (0: never). */
  standbyQuietMs: number;
}

export interface CallOptions extends RequestOptions {
  /** Leave the `failed` state by starting a fresh worker (update and start do; process does not). */
  clearFailed?: boolean;
}

/** The worker's facts for /stats and /health. */
export interface WorkerHealth extends WorkerStatus {
  lastExit: { code: number | null; signal: string | null; reason: string } | null;
  lastCrash: CrashReport | null;
  heartbeat: Omit<HeartbeatFacts, 'memory'>;
  memory: HeartbeatFacts['memory'];
  upSinceMs: number | null;
  spares: SpareCounts;
}

export class Supervisor extends EventEmitter<{ status: [WorkerStatus]; project: [StartResult | null] }> {
  private readonly lifecycle: StateMachine;
  /** The worker that serves (state `ready`) or served last. */
  private current: WorkerHandle | null = null;
  /** The release every new current worker loads. */
  private project: ProjectInfo | null = null;
  /** What the current worker's `load` answered: its objects and methods (the clients' `project` event). */
  private listed: StartResult | null = null;
  private readonly restarts: Restarts;
  private stopping: Promise<void> | null = null;
  private readonly ops = new OperationQueue();
  private readonly store: ProjectStore;
  private readonly pool: WorkerPool;
  private readonly heartbeat: Heartbeat;
  private readonly standby: Standby;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly router: RpcRouter,
    private readonly log: Logger,
  ) {
    super();
    this.restarts = new Restarts(options.policy);
    this.lifecycle = new StateMachine(log, () => ({ generation: this.current?.generation ?? 0, pid: this.current?.pid ?? null, restarts: this.restarts.total }));
    this.lifecycle.on('status', (status) => this.emit('status', status));
    this.store = new ProjectStore(options.storage.dir, options.storage.defaultProjectDir, options.storage.limits);
    this.pool = new WorkerPool(options, router, log, (w, exit) => this.onDeath(w, exit));
    this.heartbeat = new Heartbeat(router, options.heartbeatIntervalMs, options.heartbeatTimeoutMs, (id, why) => this.killWedged(id, why));
    this.standby = new Standby(options.standby, options.standbyQuietMs, {
      // A spare for a Python project starts its interpreter too: the next load only imports the project.
      spawn: (type) => this.pool.spawn('standby', { warmPython: type === 'python' }),
      projectType: () => this.project?.type,
      allowed: () => this.state === 'ready' && this.ops.current === null,
      ping: (w, timeoutMs) => router.request(w.id, 'ping', {}, { timeoutMs }).then(() => true, () => false),
      retire: (w, reason) => void this.pool.retire(w, reason, 0),
    }, log);
  }

  // ------------------------------------------------------------------ what others read

  status(): WorkerStatus {
    return this.lifecycle.status();
  }

  health(): WorkerHealth {
    const hb = this.heartbeat.snapshot;
    const c = this.restarts.lastCrash;
    return {
      ...this.status(),
      lastExit: c && { ...c.exit, reason: c.exitReason },
      lastCrash: c && { at: c.at, reason: c.reason, exit: c.exit, stateLost: true },
      heartbeat: { lastPongAt: hb.lastPongAt, rttMs: hb.rttMs },
      memory: hb.memory,
      upSinceMs: this.state === 'ready' ? this.restarts.upSince : null,
      spares: this.standby.counts(),
    };
  }

  /** The loaded project's listing (what `start` answers), or null while none is loaded. */
  get listing(): StartResult | null {
    return this.listed;
  }

  get currentGeneration(): number {
    return this.current?.generation ?? 0;
  }

  allocateId(): number {
    return this.router.allocateId();
  }

  /** The router saw a well-formed `ready` frame. False: refused, it is not from a process this server spawned. */
  onWorkerReady(routingId: string, msg: Extract<WorkerReply, { type: 'ready' }>): boolean {
    return this.pool.onReady(routingId, msg);
  }

  // ------------------------------------------------------------------ operations

  /** Spawn the first worker and wait until it is ready with the current project assigned. */
  async start(): Promise<void> {
    await this.run('start', async (signal) => {
      this.transition('starting', 'start');
      await this.store.init();
      this.project = await this.store.resolveCurrent();
      this.heartbeat.start();
      await this.replaceCurrent('start', signal);
    });
    if (this.state !== 'ready') throw new BrokerError('E_WORKER_FAILED', `the worker did not start: ${this.reason}`, { reason: this.reason });
  }

  /** A client was admitted or sent a command: the robot is in use (spares are wanted, spare-demand.ts). */
  inUse(): void {
    this.standby.used();
  }

  /** Room for an upload arriving in pieces (unpacked while it arrives); then `update()` it. */
  receiveUpload(total: number): IncomingUpload {
    return this.store.receive(total);
  }

  /** Install an upload, verified before it is swapped in (lifecycle/update.ts). */
  update(zip: Upload, reqId: number, t: UpdateTimeouts): Promise<UpdateResult> {
    return this.run('update', (signal) =>
      verifyBeforeSwap(
        {
          store: this.store,
          router: this.router,
          log: this.log,
          freshWorker: (s, type) => this.freshWorker('update', s, type),
          promote: (w, release, listing) => this.promote(w, release, 'update', null, listing),
          discard: (w) => void this.pool.retire(w, 'update discarded', 0),
          loading: () => this.spareWhileLoading(),
        },
        zip,
        reqId,
        t,
        signal,
      ),
    ).then((result) => {
      // After the answer (a 50 MB release takes ~10-20 ms to delete), in the queue like every change to storage
      // (and, like every operation, followed by the spare's scheduling: a spare not spawned during it is spawned after).
      this.run('prune releases', () => this.store.prune()).catch(() => {});
      return result;
    });
  }

  /** Send a command to the current worker once one serves. */
  async call<K extends WorkerCommand>(type: K, params: WorkerCalls[K]['params'], options: CallOptions = {}): Promise<WorkerCalls[K]['result']> {
    // Ready: no await, so no microtask hop on the hot path.
    const w = this.state === 'ready' && this.current ? this.current : await this.serving(options.clearFailed ?? false);
    const startedAt = Date.now();
    try {
      return await this.router.request(w.id, type, params, { ...options, onSend: (bytes, encodeMs) => this.sentToWorker(w, bytes, encodeMs) });
    } catch (err) {
      // A call that timed out while the worker also ignored pings: it is wedged, do not wait for the heartbeat.
      if (err instanceof BrokerError && err.code === 'E_TIMEOUT' && this.current === w && this.heartbeat.silentFor(2 * this.options.heartbeatIntervalMs)) {
        this.killWedged(w.id, `unresponsive during a timed-out call (started ${Date.now() - startedAt} ms ago)`);
      }
      throw err;
    }
  }

  private sentToWorker(w: WorkerHandle, bytes: number, encodeMs: number): void {
    this.heartbeat.sent(w.id, bytes, encodeMs);
    if (bytes > BIG_FRAME_BYTES) this.log.debug({ gen: w.generation, bytes, encodeMs: Math.round(encodeMs) }, 'big frame sent to the worker: its heartbeat deadline grows');
  }

  /** Stop for good: close the queue (cancelling what waits, aborting what runs), then retire every worker. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.transition('stopping', 'shutdown');
      this.heartbeat.stop();
      this.standby.stop();
      void this.ops.close(new BrokerError('E_SHUTTING_DOWN', 'the broker is stopping'));
      await Promise.all([this.pool.close(Math.min(this.options.stopTimeoutMs, STOP_POLITE_MAX_MS)), this.store.close()]);
      this.transition('stopped', 'shutdown');
    })();
    return this.stopping;
  }

  /** A forced exit's last resort: SIGKILL every worker now. */
  killAll(): void {
    this.pool.killNow();
  }

  // ------------------------------------------------------------------ the moves

  /** Run `op` in the one queue; afterwards a spare may be spawned again. */
  private run<T>(name: string, op: Operation<T>, urgent = false): Promise<T> {
    return this.ops.run(name, op, { urgent }).finally(() => this.standby.schedule());
  }

  /** A worker that serves: now, or once starting/restarting ends; fails fast when failed (unless cleared) or stopping. */
  private async serving(clearFailed: boolean): Promise<WorkerHandle> {
    for (;;) {
      if (this.state === 'ready' && this.current) return this.current;
      if (this.state === 'idle' || this.state === 'stopping' || this.state === 'stopped') throw new BrokerError('E_SHUTTING_DOWN', 'the broker is stopping');
      if (this.state === 'failed') {
        if (!clearFailed) throw new BrokerError('E_WORKER_FAILED', `the worker failed (${this.reason}); send update or start to try again`, { reason: this.reason });
        await this.run('start after failed', async (signal) => {
          if (this.state !== 'failed') return;
          this.restarts.cleared();
          this.transition('restarting', 'failed state cleared');
          await this.replaceCurrent('failed state cleared', signal);
        });
        continue;
      }
      await this.lifecycle.next();
    }
  }

  /** Put a worker with the current project in place; a replacement that does not start is judged by the restart policy. */
  private async replaceCurrent(reason: string, signal: AbortSignal): Promise<void> {
    while (this.state === 'starting' || this.state === 'restarting') {
      try {
        const w = await this.freshWorker(reason, signal);
        const dir = await abortable(w.proc.projectPath(this.project!.dir), signal);
        void this.promote(w, this.project!, reason, dir); // the worker it replaces is dead already
        this.spareWhileLoading();
      } catch (err) {
        if (signal.aborted) throw err;
        const why = `${reason}; the new worker did not start: ${BrokerError.from(err).message}`;
        if (!this.judge(why, 0)) return;
      }
    }
  }

  /** Fork the next spare (if one is owed) after this turn, once the load just asked for has gone out: its boot then overlaps that load. */
  private spareWhileLoading(): void {
    setImmediate(() => this.standby.spawnOwed());
  }

  /** A ready worker with nothing loaded: the spare if it proves alive, else a fresh process. */
  private freshWorker(reason: string, signal: AbortSignal, type = this.project?.type): Promise<WorkerHandle> {
    return this.pool.fresh(reason, this.standby, type, this.options.startTimeoutMs, signal);
  }

  /**
   * Make `w` the current worker with `project`. `dir` is where the worker must load it
   * from (sent before `ready` is announced, so every call queues behind it); null when
   * it already loaded it (an update's candidate). Resolves once the worker it replaced
   * has gone (its robot's stop() hooks run, within stop_timeout).
   */
  private promote(w: WorkerHandle, project: ProjectInfo, reason: string, dir: string | null, listing: StartResult | null = null): Promise<void> {
    if (!isLegal(this.state, 'ready')) {
      void this.pool.retire(w, `not promoted: ${this.state}`, 0);
      throw new BrokerError('E_SHUTTING_DOWN', 'the broker is stopping');
    }
    const old = this.current;
    this.current = w;
    this.project = { dir: project.dir, type: project.type, entry: project.entry };
    this.restarts.serving();
    // An update that lands while `failed` clears it: the crash count starts again, as after `start`.
    if (this.state === 'failed') this.restarts.cleared();
    if (dir !== null) this.assign(w, { dir, type: project.type, entry: project.entry });
    this.heartbeat.watch(w.id);
    this.transition('ready', reason);
    if (listing) this.list(w, listing);
    return old && old !== w ? this.pool.retire(old, reason, this.options.stopTimeoutMs) : Promise.resolve();
  }

  /** Tell a new current worker its project now; it loads while calls queue behind. */
  private assign(w: WorkerHandle, project: ProjectInfo): void {
    this.router
      .request(w.id, 'load', { project }, { timeoutMs: this.options.startTimeoutMs })
      .then((r) => {
        this.log.debug({ gen: w.generation, objects: Object.keys(r.objects) }, 'current project loaded');
        this.list(w, r);
      })
      .catch((err: unknown) => {
        this.list(w, null);
        // A worker that died meanwhile is the crash path's business, not a load failure.
        if (BrokerError.from(err).code !== 'E_WORKER_CRASHED') this.log.warn({ gen: w.generation, err }, 'the current project did not load (the next call retries)');
      });
  }

  /** The current worker's project listing changed: kept, and told (clients' `project` event). */
  private list(w: WorkerHandle, listing: StartResult | null): void {
    if (this.current !== w) return;
    this.listed = listing;
    this.emit('project', listing);
  }

  /** A worker exited without being retired. */
  private onDeath(w: WorkerHandle, exit: WorkerExit): void {
    const failed = this.router.failAll(w.id, new BrokerError('E_WORKER_CRASHED', `the worker died: ${exit.reason}`, { reason: exit.reason }));
    if (this.standby.onExit(w, exit.reason)) return;
    if (w !== this.current || this.state !== 'ready') {
      this.log.warn({ gen: w.generation, ...exit, callsFailed: failed }, 'a worker that was not serving died');
      return;
    }
    this.log.error({ gen: w.generation, ...exit, callsFailed: failed }, 'worker died');
    this.heartbeat.unwatch();
    const crash: CrashReport = { at: Date.now(), reason: `crash: ${exit.reason}`, exit: { code: exit.code, signal: exit.signal }, stateLost: true };
    this.restarts.crashed(crash, exit.reason);
    if (this.judge(crash.reason, Date.now() - this.restarts.upSince, crash)) {
      this.run('recover', (signal) => this.replaceCurrent(crash.reason, signal), true).catch((err: unknown) => {
        if (BrokerError.from(err).code !== 'E_SHUTTING_DOWN') this.log.warn({ err }, 'recovery did not complete');
      });
    }
  }

  /** Restart or give up (Jupyter's restarter policy); true when a restart is due. */
  private judge(reason: string, upForMs: number, crash: CrashReport | null = null): boolean {
    const decision = this.restarts.decide(upForMs);
    if (!decision.restart) {
      this.transition('failed', `${reason} (${decision.inARow} restarts in a row)`, crash);
      return false;
    }
    this.transition('restarting', reason, crash);
    return true;
  }

  private killWedged(routingId: string, why: string): void {
    const w = this.current;
    if (!w || w.id !== routingId || w.proc.wedged) return;
    w.proc.wedged = `wedged: ${why}`;
    this.log.error({ gen: w.generation, workerPid: w.pid }, `worker wedged (${why}): killing it`);
    void w.proc.kill(TERM_GRACE_MS);
  }

  private get state() {
    return this.lifecycle.state;
  }

  private get reason() {
    return this.lifecycle.reason;
  }

  private transition(...move: Parameters<StateMachine['transition']>): boolean {
    return this.lifecycle.transition(...move);
  }
}
