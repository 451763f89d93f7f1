/**
 * An update, verified before it is swapped in (brief decision 1):
 *
 *   stage    the server unpacks the ZIP off its event loop into a staged release
 *   verify   a fresh worker (the spare, if it answers a ping) loads that release
 *   swap     only once it answered: `current` is renamed to the release
 *   promote  that worker becomes current; the old one is retired (its stop() hooks run)
 *
 * A bad upload is "discard the staged release and the worker that tried it": `current`
 * and the worker serving calls were never touched, so calls during a failing update
 * succeed, and at most one extra worker process ever existed for it (the candidate: the
 * spare, whose taking starts the next spare, standby.ts). The upload's
 * request id is the load's request id, so the worker's log lines carry it too.
 */
import { BrokerError } from '../../ipc/errors.js';
import { abortable } from '../../ipc/promises.js';
import type { ProjectType, StartResult, UpdateResult } from '../../ipc/protocol.js';
import type { RpcRouter } from '../../ipc/rpc-router.js';
import type { Logger } from '../logger.js';
import { crashPoint } from '../storage/crash-points.js';
import type { ProjectStore, StagedRelease } from '../storage/project-store.js';
import type { Upload } from '../storage/unpack-thread.js';
import type { WorkerHandle } from './worker-handle.js';

export interface UpdateTimeouts {
  /** Unpacking may take this long. */
  updateTimeoutMs: number;
  /** The new project must load within this. */
  loadTimeoutMs: number;
}

/** What the update needs from the supervisor. */
export interface UpdateContext {
  store: ProjectStore;
  router: RpcRouter;
  log: Logger;
  /** A ready worker with nothing loaded, for a project of `type`: the spare if it proves alive, else a new one. */
  freshWorker(signal: AbortSignal, type: ProjectType): Promise<WorkerHandle>;
  /** Make `w` (which has loaded `release`, answering `listing`) the current worker; resolves once the worker it replaced has gone. */
  promote(w: WorkerHandle, release: StagedRelease, listing: StartResult): Promise<void>;
  /** Get rid of a worker that holds a project that failed (it may be wedged): no polite step. */
  discard(w: WorkerHandle): void;
  /** The candidate was asked to load: what may overlap its load now can start (the next spare). */
  loading(): void;
}

export async function verifyBeforeSwap(ctx: UpdateContext, zip: Upload, reqId: number, t: UpdateTimeouts, signal: AbortSignal): Promise<UpdateResult> {
  const log = ctx.log.child({ reqId });
  const staged = await abortable(ctx.store.stage(zip, reqId, t.updateTimeoutMs), signal);
  log.info({ type: staged.type, entry: staged.entry, files: staged.files, bytes: staged.bytes }, 'update staged');
  let candidate: WorkerHandle | null = null;
  let swapped = false;
  try {
    candidate = await ctx.freshWorker(signal, staged.type);
    log.info({ gen: candidate.generation, workerPid: candidate.pid }, 'update: loading the staged release');
    const project = { dir: await candidate.proc.projectPath(staged.dir), type: staged.type, entry: staged.entry };
    const loading = loadOrExplain(ctx.router, candidate, project, reqId, t.loadTimeoutMs, staged.entry);
    ctx.loading();
    const listing = await abortable(loading, signal);
    crashPoint('loaded');
    signal.throwIfAborted();
    await ctx.store.activate(staged);
    swapped = true;
    const oldGone = ctx.promote(candidate, staged, listing);
    candidate = null; // it serves now: nothing below may discard it
    log.info('update swapped in');
    // The ack waits for the old worker to go (its stop() hooks), as the seed's restart did: no old module survives the ack.
    await abortable(oldGone, signal).catch(() => {});
    return { type: staged.type, entry: staged.entry, files: staged.files, bytes: staged.bytes };
  } catch (err) {
    const cause = BrokerError.from(err);
    if (candidate) ctx.discard(candidate);
    // Once swapped the release is current (and verified): only its worker was not promoted, the broker is stopping.
    if (swapped) throw cause;
    log.warn({ code: cause.code, error: cause.message }, 'new project failed to load: discarded');
    await ctx.store.discard(staged).catch((e: unknown) => log.warn({ err: e }, 'could not remove the staged release'));
    throw cause;
  }
}

/** Ask `w` to load `project`; any failure is E_PROJECT_LOAD naming what failed (a timeout, the worker's death). */
async function loadOrExplain(
  router: RpcRouter,
  w: WorkerHandle,
  project: { dir: string; type: StagedRelease['type']; entry: string },
  reqId: number,
  timeoutMs: number,
  entry: string,
): Promise<StartResult> {
  try {
    return await router.request(w.id, 'load', { project }, { id: reqId, timeoutMs });
  } catch (err) {
    const cause = BrokerError.from(err);
    if (cause.code === 'E_PROJECT_LOAD' || cause.code === 'E_SHUTTING_DOWN') throw cause;
    throw new BrokerError('E_PROJECT_LOAD', `${entry}: the project did not load (${cause.message}); the previous project was kept`, {
      file: entry,
      line: null,
      cause: cause.code,
    });
  }
}
