/**
 * The worker's lifecycle, one explicit state machine (vitest's poolRunner, Jupyter's
 * restarter). "ready" means the worker said so over ZeroMQ, after its publisher saw
 * our subscription: not that a process was spawned.
 *
 *   stopped -> starting -> ready -> restarting -> ready ...
 *                            \-> (crash, policy says give up) -> failed -> (update/start) -> restarting
 *   any -> stopping -> stopped
 */
import { EventEmitter } from 'node:events';
import { BrokerError } from '../ipc/errors.js';
import type { UpdateResult, WorkerCalls, WorkerCommand, WorkerConfig, WorkerReply, WorkerState, WorkerStatus } from '../ipc/protocol.js';
import type { RequestOptions, RpcRouter } from '../ipc/rpc-router.js';
import type { Logger } from './logger.js';
import { decideRestart, type RestartHistory, type RestartPolicy } from './restart-policy.js';
import type { WorkerSandbox } from './sandbox/sandbox.js';
import { Standby } from './standby.js';
import { WorkerProcess, type WorkerExit } from './worker-process.js';

export interface SupervisorOptions {
  script: string;
  /** The worker's config without its generation (the supervisor numbers them). */
  worker: Omit<WorkerConfig, 'generation' | 'repairStorage'>;
  maxMemoryMb: number;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  policy: RestartPolicy;
  /** Where the worker's own log lines go (the root logger). */
  workerLog: Logger;
  /** Keep a spare worker ready, so a restart does not wait for a process to start. */
  standby: boolean;
  /** What every worker process runs in. */
  sandbox: WorkerSandbox;
}

type SupervisorState = WorkerState | 'stopping';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // nobody may be waiting; the waiters that are get the rejection
  return { promise, resolve, reject };
}

export interface CallOptions extends RequestOptions {
  /** Leave the `failed` state by starting a fresh worker (update and start do; process does not). */
  clearFailed?: boolean;
}

export class Supervisor extends EventEmitter<{ status: [WorkerStatus] }> {
  private state: SupervisorState = 'stopped';
  /** The current worker's generation; `lastGeneration` numbers every worker spawned (spares too). */
  private generation = 0;
  private lastGeneration = 0;
  private worker: WorkerProcess | null = null;
  /** When the current worker became current (for a promoted spare, not when it was spawned). */
  private activatedAt = 0;
  private routingId: string | null = null;
  private ready = deferred<string>();
  private readyTimer: NodeJS.Timeout | undefined;
  private history: RestartHistory = { count: 0 };
  private restarts = 0;
  private reason: string | null = null;
  private lastExit: WorkerExit | null = null;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pingInFlight = false;
  private lastPongAt = 0;
  private lastPingRttMs: number | null = null;
  private lastMemory: { heapUsed: number; rss: number } | null = null;
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  /** Workers that were told to go but have not exited yet. */
  private readonly retiring = new Set<WorkerProcess>();
  /** Every worker process not yet exited, by generation: who may say `ready`. */
  private readonly spawned = new Map<number, WorkerProcess>();

  constructor(
    private readonly options: SupervisorOptions,
    private readonly router: RpcRouter,
    private readonly log: Logger,
  ) {
    super();
    this.standby = new Standby(options.standby, () => this.spawnProcess(), log);
  }

  private readonly standby: Standby;

  status(): WorkerStatus {
    const state = this.state === 'stopping' ? 'stopped' : this.state;
    return { state, generation: this.generation, pid: this.worker?.pid ?? null, reason: this.reason, restarts: this.restarts };
  }

  /** Heartbeat and process facts for /stats. */
  health() {
    return {
      ...this.status(),
      lastExit: this.lastExit,
      heartbeat: { lastPongAt: this.lastPongAt || null, rttMs: this.lastPingRttMs },
      memory: this.lastMemory,
      upSinceMs: this.worker && this.state === 'ready' ? this.activatedAt : null,
    };
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /** Spawn the first worker and wait until it is ready. */
  async start(): Promise<void> {
    this.replace('start');
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    await this.ready.promise;
    this.standby.schedule();
  }

  /** Called by the router when a worker reports ready. False: refused, it is not from a process we spawned. */
  onWorkerReady(routingId: string, msg: Extract<WorkerReply, { type: 'ready' }>): boolean {
    if (!this.spawned.get(msg.generation)?.verifyReady(msg, routingId)) return false;
    if (this.standby.onReady(msg.generation, routingId)) return true;
    if (msg.generation !== this.generation || !this.worker || this.state === 'stopping') {
      this.log.warn({ gen: msg.generation, current: this.generation }, 'ready from a worker that is not current: ignored');
      return true;
    }
    clearTimeout(this.readyTimer);
    this.activate(routingId);
    return true;
  }

  /** The current worker is ready: serve. */
  private activate(routingId: string): void {
    this.routingId = routingId;
    this.activatedAt = Date.now();
    this.lastPongAt = this.activatedAt;
    this.transition('ready', this.reason);
    this.ready.resolve(routingId);
  }

  /** The routing id of a ready worker, waiting for one that is starting. */
  async ensureReady(clearFailed = false): Promise<string> {
    if (this.state === 'ready' && this.routingId) return this.routingId;
    if (this.state === 'stopping' || this.state === 'stopped') throw new BrokerError('E_SHUTTING_DOWN', 'the broker is stopping');
    if (this.state === 'failed') {
      if (!clearFailed) {
        throw new BrokerError('E_WORKER_FAILED', `the worker failed (${this.reason}); send update or start to try again`, {
          reason: this.reason,
        });
      }
      this.history = { count: 0 };
      this.replace('failed state cleared');
    }
    return this.ready.promise;
  }

  /** Send a command to the current worker once it is ready. */
  async call<K extends WorkerCommand>(type: K, params: WorkerCalls[K]['params'], options: CallOptions = {}): Promise<WorkerCalls[K]['result']> {
    // Ready: no await, so no microtask hop on the hot path.
    const worker = this.state === 'ready' && this.routingId ? this.routingId : await this.ensureReady(options.clearFailed);
    const startedAt = Date.now();
    try {
      return await this.router.request(worker, type, params, options);
    } catch (err) {
      if (err instanceof BrokerError && err.code === 'E_TIMEOUT') this.checkWedged(startedAt);
      throw err;
    }
  }

  /** A fresh request id (commands log it before the call). */
  allocateId(): number {
    return this.router.allocateId();
  }

  /**
   * Install an uploaded project: the worker unpacks and swaps it in, a fresh worker
   * loads it; if it does not load, the previous project is put back and another
   * fresh worker started. Resolves once a worker with a good project is ready.
   */
  update(zip: Buffer, reqId: number, t: { updateTimeoutMs: number; loadTimeoutMs: number }): Promise<UpdateResult> {
    return this.exclusive(async () => {
      const result = await this.call('update', {}, { id: reqId, frames: [zip], timeoutMs: t.updateTimeoutMs, clearFailed: true });
      await this.restart('update');
      try {
        await this.call('start', {}, { timeoutMs: t.loadTimeoutMs, clearFailed: true });
      } catch (err) {
        const cause = BrokerError.from(err);
        this.log.warn({ reqId, code: cause.code, error: cause.message }, 'new project failed to load: rolling back');
        // The worker that tried may be wedged or dying: roll back from a fresh one (it
        // loads nothing until asked), then restart again so no module of the bad project survives.
        await this.restart('load failed');
        await this.call('rollback', {}, { timeoutMs: t.updateTimeoutMs, clearFailed: true });
        await this.restart('rollback');
        if (cause.code === 'E_PROJECT_LOAD') throw cause;
        throw new BrokerError('E_PROJECT_LOAD', `${result.entry}: the project did not load (${cause.message}); the previous project was kept`, {
          file: result.entry,
          line: null,
          cause: cause.code,
        });
      }
      return result;
    });
  }

  /** Run `fn` with no other exclusive operation (update) overlapping it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.exclusiveTail.then(fn, fn);
    this.exclusiveTail = run.catch(() => {});
    return run;
  }

  /** Replace the worker: stop the current one (politely, then by force) and wait for a new one. */
  async restart(reason: string): Promise<void> {
    const old = this.worker;
    this.worker = null;
    this.routingId = null;
    this.reason = reason;
    if (this.state === 'ready') this.ready = deferred<string>();
    this.transition('restarting', reason);
    if (old) await this.retire(old, reason);
    this.replace(reason);
    await this.ensureReady();
  }

  /** Stop for good: polite shutdown, then SIGTERM, then SIGKILL. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.readyTimer);
    this.reason = 'shutdown';
    this.transition('stopping', 'shutdown');
    this.ready.reject(new BrokerError('E_SHUTTING_DOWN', 'the broker is stopping'));
    const politeMs = Math.min(this.options.stopTimeoutMs, 2500);
    const old = this.worker;
    this.worker = null;
    const spare = this.standby.stop();
    await Promise.all([old && this.retire(old, 'shutdown', politeMs), spare && this.retire(spare, 'shutdown', politeMs)]);
    await Promise.all([...this.retiring].map((w) => w.exited));
    this.transition('stopped', 'shutdown');
  }

  /** Put a new current worker in place: the ready spare if there is one, else a fresh process. */
  private replace(reason: string): void {
    this.reason = reason;
    if (this.state === 'ready' || this.state === 'failed') this.ready = deferred<string>();
    const to = this.lastGeneration === 0 ? 'starting' : 'restarting';
    if (this.state !== to) this.transition(to, reason);
    const spare = this.standby.take();
    const worker = spare?.worker ?? this.spawnProcess();
    this.worker = worker;
    this.generation = worker.generation;
    this.log.info({ gen: worker.generation, pid: worker.pid, reason }, spare ? 'standby worker promoted' : 'worker spawned');
    if (spare?.routingId) {
      this.activate(spare.routingId);
      return;
    }
    clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => {
      if (this.worker !== worker || this.state === 'ready') return;
      this.log.error({ gen: worker.generation }, `worker did not report ready within ${this.options.startTimeoutMs} ms`);
      worker.wedged = 'did not report ready in time';
      void worker.kill(1000);
    }, this.options.startTimeoutMs);
  }

  /** Start a worker process with the next generation number; its exit comes back to onExit. */
  private spawnProcess(): WorkerProcess {
    const generation = ++this.lastGeneration;
    const worker = new WorkerProcess({
      script: this.options.script,
      config: { ...this.options.worker, generation, repairStorage: generation === 1 },
      maxMemoryMb: this.options.maxMemoryMb,
      log: this.options.workerLog,
      sandbox: this.options.sandbox,
    });
    this.spawned.set(generation, worker);
    void worker.exited.then((exit) => this.onExit(worker, exit));
    return worker;
  }

  private onExit(worker: WorkerProcess, exit: WorkerExit): void {
    this.spawned.delete(worker.generation);
    const id = worker.routingId;
    if (this.retiring.has(worker)) {
      this.retiring.delete(worker);
      this.log.info({ gen: worker.generation, ...exit }, 'worker exited');
      return;
    }
    if (this.standby.onExit(worker, exit.reason)) return;
    if (worker !== this.worker) return;
    this.lastExit = exit;
    const failed = this.router.failAll(id, new BrokerError('E_WORKER_CRASHED', `the worker died: ${exit.reason}`, { reason: exit.reason }));
    this.log.error({ gen: worker.generation, ...exit, callsFailed: failed }, 'worker died');
    this.worker = null;
    this.routingId = null;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const decision = decideRestart(this.history, Date.now() - this.activatedAt, this.options.policy);
    this.history = decision.history;
    const reason = `crash: ${exit.reason}`;
    if (decision.action === 'restart') {
      this.restarts++;
      this.replace(reason);
      return;
    }
    this.reason = `${reason} (${decision.history.count - 1} restarts in a row)`;
    this.transition('failed', this.reason);
    this.ready.reject(new BrokerError('E_WORKER_FAILED', `the worker failed: ${this.reason}; send update or start to try again`, { reason: this.reason }));
  }

  /** Politely ask `worker` to go, then force it. Calls still in flight are answered at once. */
  private async retire(worker: WorkerProcess, reason: string, politeMs = this.options.stopTimeoutMs): Promise<void> {
    this.retiring.add(worker);
    const id = worker.routingId;
    const polite = this.router.request(id, 'shutdown', {}, { timeoutMs: politeMs }).catch(() => null);
    const gone = await Promise.race([worker.exited.then(() => true), polite.then(() => false)]);
    if (!gone) {
      const exitedSoon = await Promise.race([worker.exited.then(() => true), sleep(1000).then(() => false)]);
      if (!exitedSoon) await worker.kill(1000);
    }
    this.router.failAll(id, new BrokerError('E_WORKER_RESTARTED', `the worker was restarted (${reason})`, { reason }));
  }

  private heartbeat(): void {
    if (this.state !== 'ready' || !this.routingId || !this.worker) return;
    const now = Date.now();
    if (now - this.lastPongAt > this.options.heartbeatTimeoutMs) {
      this.killWedged(`no heartbeat for ${now - this.lastPongAt} ms`);
      return;
    }
    if (this.pingInFlight) return;
    this.pingInFlight = true;
    const sentAt = performance.now();
    this.router
      .request(this.routingId, 'ping', {})
      .then((memory) => {
        this.lastPongAt = Date.now();
        this.lastPingRttMs = performance.now() - sentAt;
        this.lastMemory = memory;
      })
      .catch(() => {})
      .finally(() => {
        this.pingInFlight = false;
      });
  }

  /** A call timed out: if the worker has not answered a ping since the call began either, it is wedged. */
  private checkWedged(callStartedAt: number): void {
    if (this.state === 'ready' && this.lastPongAt < callStartedAt && Date.now() - this.lastPongAt > 2 * this.options.heartbeatIntervalMs) {
      this.killWedged('unresponsive during a timed-out call');
    }
  }

  private killWedged(why: string): void {
    const worker = this.worker;
    if (!worker || worker.wedged) return;
    worker.wedged = `wedged: ${why}`;
    this.log.error({ gen: worker.generation, pid: worker.pid }, `worker wedged (${why}): killing it`);
    void worker.kill(1000);
  }

  private transition(to: SupervisorState, reason: string | null): void {
    const from = this.state;
    this.state = to;
    this.log.info({ from, to, reason, gen: this.generation }, 'worker state');
    if (to !== 'stopping') this.emit('status', this.status());
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
