/**
 * The worker's command handler: one method per WorkerCommand. The project is
 * loaded on demand, once, and shared by concurrent calls.
 */
import type pino from 'pino';
import { BrokerError } from '../ipc/errors.js';
import type { WorkerCalls, WorkerCommand, WorkerConfig, WorkerRequest } from '../ipc/protocol.js';
import { loadProject } from './executors/index.js';
import type { LoadedProject } from './executors/types.js';
import type { ProjectStore } from './project-store.js';
import { requestContext } from './push.js';
import { methodErrorDetails } from './stack.js';

type Handlers = {
  [K in WorkerCommand]: (request: WorkerRequest<K>, frames: Buffer[]) => Promise<WorkerCalls[K]['result']> | WorkerCalls[K]['result'];
};

export class Worker {
  private project: Promise<LoadedProject> | null = null;
  private loaded: LoadedProject | null = null;

  constructor(
    private readonly store: ProjectStore,
    private readonly log: pino.Logger,
    private readonly stopTimeoutMs: number,
    private readonly onShutdown: () => void,
    private readonly config: WorkerConfig,
  ) {}

  readonly handlers: Handlers = {
    update: (req, frames) => {
      const zip = frames[0];
      if (!zip) throw new BrokerError('E_INVALID_PAYLOAD', 'update without a ZIP frame', { field: 'data' });
      return this.store.install(zip, req.id);
    },
    start: async () => {
      const p = await this.load();
      return { type: p.type, entry: p.entry, objects: p.objects, methods: p.methods };
    },
    process: async (req) => {
      const p = this.loaded ?? (await this.load());
      try {
        return await requestContext.run(req.id, () => p.call(req.object, req.method, req.args));
      } catch (err) {
        throw methodError(err);
      }
    },
    stop_hooks: async () => ({ stopped: this.loaded ? await this.loaded.stop(this.stopTimeoutMs) : [] }),
    rollback: async () => ({ restored: await this.store.rollback() }),
    ping: () => {
      const m = process.memoryUsage();
      return { heapUsed: m.heapUsed, rss: m.rss };
    },
    shutdown: async () => {
      if (this.loaded) await this.loaded.stop(this.stopTimeoutMs);
      this.onShutdown();
      return null;
    },
  };

  handle(request: WorkerRequest, frames: Buffer[]): unknown {
    const handler = this.handlers[request.type] as (r: WorkerRequest, f: Buffer[]) => unknown;
    if (!handler) throw new BrokerError('E_INTERNAL', `unknown worker command ${String(request.type)}`);
    return handler(request, frames);
  }

  /** Load the current project once; a failed load is forgotten so the next command retries. */
  private load(): Promise<LoadedProject> {
    this.project ??= this.store
      .resolveCurrent()
      .then((info) =>
        loadProject(info, { onStopError: (hook, err) => this.log.warn({ hook, err }, 'stop hook failed'), log: this.log, config: this.config }),
      )
      .then((p) => {
        this.loaded = p;
        this.log.info({ type: p.type, entry: p.entry, objects: Object.keys(p.objects) }, 'project loaded');
        return p;
      })
      .catch((err: unknown) => {
        this.project = null;
        throw err;
      });
    return this.project;
  }
}

/** A robot method's own failure: broker errors (unknown names, reserved pushes) keep their code. */
function methodError(err: unknown): BrokerError {
  if (err instanceof BrokerError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new BrokerError('E_METHOD_FAILED', e.message, methodErrorDetails(e));
}
