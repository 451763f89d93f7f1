/** Picks the executor for a project's type. */
import type { ProjectInfo } from '../../ipc/worker-protocol.js';
import type { ExecutorContext } from './context.js';
import { loadJavaScript } from './javascript.js';
import { discardWarmPython, loadPython } from './python.js';
import { loadTypeScript } from './typescript.js';
import type { LoadedProject } from './types.js';

export type { ExecutorContext } from './context.js';

export { warmPython } from './python.js';

export async function loadProject(project: ProjectInfo, ctx: ExecutorContext): Promise<LoadedProject> {
  if (project.type !== 'python') discardWarmPython();
  switch (project.type) {
    case 'javascript':
      return loadJavaScript(project, ctx.onStopError);
    case 'typescript':
      return loadTypeScript(project, ctx);
    case 'python':
      return loadPython(project, ctx);
  }
}
