/**
 * Picks the executor for a project's type. Only the JavaScript one is loaded with the
 * worker: the Python and TypeScript executors are imported by the first project (or warm
 * interpreter) that needs them, so a worker for a JavaScript project starts without them
 * (importing worker/worker.js: 32 -> 24 ms of CPU, median of 5; a worker starts on every update).
 */
import { fileURLToPath } from 'node:url';
import type { ProjectInfo } from '../../ipc/worker-protocol.js';
import type { ExecutorContext } from './context.js';
import { loadJavaScript } from './javascript.js';
import type { LoadedProject } from './types.js';

export type { ExecutorContext } from './context.js';

let python: Promise<typeof import('./python.js')> | undefined;
const pythonExecutor = (): Promise<typeof import('./python.js')> => (python ??= import('./python.js'));

/** Start a Python interpreter ahead of need (the previous project was Python). */
export function warmPython(ctx: ExecutorContext): void {
  pythonExecutor().then(
    (p) => p.warmPython(ctx),
    (err: unknown) => ctx.log.warn({ err }, 'the Python executor could not be loaded ahead of need'),
  );
}

/** The broker's own tiny project (worker/rehearsal), beside the worker's code: visible in the sandbox too; as an ES module and as CommonJS. */
const REHEARSAL_DIR = fileURLToPath(new URL('../rehearsal/', import.meta.url));
const REHEARSAL_ENTRIES = ['main.js', 'commonjs.cjs'];

/** Load the rehearsal project, in both formats, and forget it (Worker.rehearse): the JavaScript loader and the method reader run once. */
export async function rehearseLoad(ctx: ExecutorContext): Promise<void> {
  for (const entry of REHEARSAL_ENTRIES) await loadJavaScript({ dir: REHEARSAL_DIR, entry, type: 'javascript' }, ctx.onStopError);
}

export async function loadProject(project: ProjectInfo, ctx: ExecutorContext): Promise<LoadedProject> {
  // A Python executor that could not be loaded (warmPython logged it) started nothing to discard.
  if (project.type !== 'python' && python) await python.then((p) => p.discardWarmPython(), () => undefined);
  switch (project.type) {
    case 'javascript':
      return loadJavaScript(project, ctx.onStopError);
    case 'typescript':
      return (await import('./typescript.js')).loadTypeScript(project, ctx);
    case 'python':
      return (await pythonExecutor()).loadPython(project, ctx);
  }
}
