/**
 * The worker's command handler: one method per WorkerCommand. The worker loads the
 * one project folder the server tells it to (`load`), once, and shares it between
 * concurrent calls. It never touches storage: the server unpacks, checks and swaps.
 *
 * Calls and `start` that arrive while the stop() hooks run wait for them: a command sent
 * after a stop (an emergency stop, a controller gone) runs after it. Without that, a
 * `Move` read while a hook awaited ran first and the hook then halted it: the new
 * controller's robot stood still (seen in CI with the deadman of the previous client).
 */
import type { WorkerLogger } from './logger.js';
import { BrokerError } from '../ipc/errors.js';
import type { ProjectInfo, WorkerCalls, WorkerCommand, WorkerConfig, WorkerRequest } from '../ipc/worker-protocol.js';
import { loadProject, rehearseLoad, warmPython, type ExecutorContext } from './executors/index.js';
import type { LoadedProject } from './executors/types.js';
import { requestContext } from './push.js';
import { methodErrorDetails } from './stack.js';

type Handlers = {
  [K in WorkerCommand]: (request: WorkerRequest<K>) => Promise<WorkerCalls[K]['result']> | WorkerCalls[K]['result'];
};

export class Worker {
  /** The project this worker runs, as the server named it (set by the first `load`). */
  private assigned: ProjectInfo | null = null;
  private project: Promise<LoadedProject> | null = null;
  private loaded: LoadedProject | null = null;
  /** Settles once the stop() hooks running now are done; null while none run. */
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly log: WorkerLogger,
    private readonly stopTimeoutMs: number,
    private readonly onShutdown: () => void,
    private readonly config: WorkerConfig,
  ) {
    if (config.warmPython) warmPython(this.context());
  }

  readonly handlers: Handlers = {
    load: async (req) => {
      if (this.assigned && this.assigned.dir !== req.project.dir) {
        throw new BrokerError('E_INTERNAL', `this worker runs ${this.assigned.dir}; a worker loads one project in its life`);
      }
      this.assigned ??= req.project;
      return listing(await this.load(req.id));
    },
    start: async (req) => {
      if (this.stopping) await this.stopping;
      return listing(this.loaded ?? (await this.load(req.id)));
    },
    process: async (req) => {
      if (this.stopping) await this.stopping;
      const p = this.loaded ?? (await this.load(req.id));
      try {
        return await requestContext.run(req.id, () => p.call(req.object, req.method, req.args));
      } catch (err) {
        throw methodError(err);
      }
    },
    stop_hooks: async () => ({ stopped: await this.stopHooks() }),
    ping: () => {
      const m = process.memoryUsage();
      return { heapUsed: m.heapUsed, rss: m.rss };
    },
    shutdown: async () => {
      await this.stopHooks();
      this.onShutdown();
      return null;
    },
  };

  /**
   * Load the broker's own tiny project once and forget it, so that this worker's first
   * real load runs on code V8 has compiled (an update's load: 16-17 -> 11-15 ms, bench A/B).
   * Only in a worker that has no project yet and expects a JavaScript one (a warm Python
   * interpreter says the next is Python); main.ts asks once the worker has sat idle a moment,
   * as a spare taken at once (updates back to back) would have its load wait behind this.
   */
  rehearse(): void {
    if (this.assigned || this.config.warmPython) return;
    const started = performance.now();
    rehearseLoad(this.context()).then(
      () => this.log.debug({ ms: Math.round(performance.now() - started) }, 'load rehearsed'),
      (err: unknown) => this.log.warn({ err }, 'load rehearsal failed'),
    );
  }

  handle(request: WorkerRequest): unknown {
    const handler = this.handlers[request.type] as (r: WorkerRequest) => unknown;
    if (!handler) throw new BrokerError('E_INTERNAL', `unknown worker command ${String(request.type)}`);
    return handler(request);
  }

  /** Run the loaded project's stop() hooks (the names of those that ran); commands arriving meanwhile wait. */
  private stopHooks(): Promise<string[]> {
    if (!this.loaded) return Promise.resolve([]);
    const run = this.loaded.stop(this.stopTimeoutMs);
    const settled = (): void => {
      if (this.stopping === done) this.stopping = null;
    };
    const done = run.then(settled, settled);
    this.stopping = done;
    return run;
  }

  /**
   * Load the assigned project once; a failed load is forgotten so the next command
   * retries. It runs in the context of the request that caused it, so the upload's
   * request id is on the load's log lines and on anything the project pushes at import.
   */
  private load(reqId: number): Promise<LoadedProject> {
    const project = this.assigned;
    if (!project) return Promise.reject(new BrokerError('E_INTERNAL', 'no project was assigned to this worker yet'));
    this.project ??= requestContext
      .run(reqId, () => loadProject(project, this.context()))
      .then((p) => {
        this.loaded = p;
        this.log.info({ reqId, dir: project.dir, type: p.type, entry: p.entry, objects: Object.keys(p.objects) }, 'project loaded');
        return p;
      })
      .catch((err: unknown) => {
        this.project = null;
        this.log.warn({ reqId, dir: project.dir, err }, 'project failed to load');
        throw err;
      });
    return this.project;
  }

  private context(): ExecutorContext {
    return { onStopError: (hook, err) => this.log.warn({ hook, err }, 'stop hook failed'), log: this.log, config: this.config };
  }
}

function listing(p: LoadedProject): WorkerCalls['start']['result'] {
  return { type: p.type, entry: p.entry, objects: p.objects, methods: p.methods };
}

/** A robot method's own failure: broker errors (unknown names, reserved pushes) keep their code. */
function methodError(err: unknown): BrokerError {
  if (err instanceof BrokerError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new BrokerError('E_METHOD_FAILED', e.message, methodErrorDetails(e));
}
