/**
 * Python projects, the seed's own format: `main.py` whose module-level instances are
 * the objects, with `push_message = None` replaced by a real function. The project
 * runs in a Python child (python-child.ts); this file makes it a LoadedProject like
 * any other: the same names are callable, the same error codes come back.
 *
 * A spare worker of a broker that runs a Python project starts its interpreter at boot
 * (`warmPython`), so the next Python load (an update, a restart after a crash) only
 * imports the project.
 */
import { realpathSync } from 'node:fs';
import { BrokerError } from '../../ipc/errors.js';
import { isErrorCode, type ErrorCode } from '../../ipc/errors.js';
import { type ProcessParams } from '../../ipc/protocol.js';
import { WORKER_EXIT } from '../../ipc/worker-protocol.js';
import type { ProjectInfo } from '../../ipc/worker-protocol.js';
import { requestContext } from '../push.js';
import { executorSettings, type ExecutorContext } from './context.js';
import { PythonChild, type PythonError, type RunnerMessage } from './python-child.js';
import type { LoadedProject } from './types.js';
import { ProjectError } from '../stack.js';

/** An interpreter started ahead of need, waiting for its project; null when there is none. */
let warm: PythonChild | null = null;

function startChild(ctx: ExecutorContext): PythonChild {
  const settings = executorSettings(ctx);
  const log = ctx.log;
  return new PythonChild({
    pythonPath: settings.pythonPath,
    maxMemoryMb: settings.maxMemoryMb,
    log,
    onPush: (reqId, event, data, qos) => {
      try {
        requestContext.run(reqId, () => globalThis.pushMessage(event, data, qos === 'latest' ? { qos } : undefined));
      } catch (err) {
        log.warn({ err, event }, 'push from Python refused');
      }
    },
  });
}

/** Start an interpreter now, for the Python project this worker may be given. */
export function warmPython(ctx: ExecutorContext): void {
  const child = startChild(ctx);
  warm = child;
  void child.exited.then((reason) => {
    if (warm !== child) return;
    warm = null;
    ctx.log.warn({ reason }, 'the Python interpreter started ahead of need exited: the project will start its own');
  });
}

/** This worker runs no Python project: the interpreter started ahead of need goes. */
export function discardWarmPython(): void {
  warm?.kill('not needed: the project is not Python');
  warm = null;
}

export async function loadPython(project: ProjectInfo, ctx: ExecutorContext): Promise<LoadedProject> {
  const settings = executorSettings(ctx);
  const log = ctx.log;
  const ready = warm?.available ? warm : null;
  warm = null;
  const child = ready ?? startChild(ctx);
  log.debug({ warm: ready !== null, pid: child.pid }, 'python runner loads the project');
  const { objects, methods } = await child.load(realpathSync(project.dir), project.entry);

  // Once loaded, the child's death is the worker's: exit with the reason, and the
  // supervisor restarts us under the same policy as any crash.
  void child.exited.then((reason) => {
    log.fatal({ exitReason: `python runner died: ${reason}`, pid: child.pid }, 'python runner died');
    process.exit(WORKER_EXIT.uncaught);
  });
  child.watch(settings.heartbeatIntervalMs, settings.heartbeatTimeoutMs);
  log.info({ pid: child.pid, python: settings.pythonPath, maxMemoryMb: settings.maxMemoryMb }, 'python runner loaded the project');

  return {
    type: project.type,
    entry: project.entry,
    objects,
    methods,
    call: (object, method, args) => call(child, objects, object, method, args),
    stop: async (timeoutMs) => {
      const reply = await withDeadline(child.request<Extract<RunnerMessage, { t: 'stopped' }>>({ op: 'stop', timeoutMs }), timeoutMs + 250);
      if (!reply) {
        ctx.onStopError('stop', new BrokerError('E_TIMEOUT', 'the Python stop hooks did not answer in time'));
        return [];
      }
      for (const e of reply.errors) ctx.onStopError(e.hook, pythonError(e));
      return reply.ran;
    },
  };
}

async function call(child: PythonChild, objects: Record<string, string[]>, object: string, method: string, args: ProcessParams['args']): Promise<unknown> {
  // Checked here first, with the same answers as the JavaScript ObjectTable; the runner checks again.
  const methods = Object.hasOwn(objects, object) ? objects[object] : undefined;
  if (!methods) {
    throw new BrokerError('E_UNKNOWN_OBJECT', `no object "${object}" in the project`, { object, objects: Object.keys(objects) });
  }
  if (!methods.includes(method)) {
    throw new BrokerError('E_UNKNOWN_METHOD', `"${object}" has no method "${method}"`, { object, method, methods });
  }
  const reply = await child.request<Extract<RunnerMessage, { t: 'result' }>>({
    op: 'call',
    req: requestContext.getStore() ?? 0,
    object,
    method,
    args: args ?? null,
  });
  if (reply.ok) return reply.value;
  if (reply.code === 'E_METHOD_FAILED' || !isErrorCode(reply.code)) throw pythonError(reply.error);
  throw new BrokerError(reply.code as ErrorCode, reply.error.message, reply.details ?? {});
}

/** A Python exception as an Error the worker reports as E_METHOD_FAILED: Python's name, message, traceback (already the project's only) and location. */
function pythonError(e: PythonError): Error {
  return new ProjectError(e.name, e.message, e.stack ?? `${e.name}: ${e.message}`, e.location ?? null);
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
