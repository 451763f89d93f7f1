/** Picks the executor for a project's type. */
import { BrokerError } from '../../ipc/errors.js';
import type { ProjectInfo } from '../project-store.js';
import { loadJavaScript } from './javascript.js';
import type { LoadedProject } from './types.js';

export interface ExecutorContext {
  onStopError: (hook: string, err: unknown) => void;
}

export async function loadProject(project: ProjectInfo, ctx: ExecutorContext): Promise<LoadedProject> {
  switch (project.type) {
    case 'javascript':
      return loadJavaScript(project, ctx.onStopError);
    case 'typescript':
    case 'python':
      throw new BrokerError('E_PROJECT_LOAD', `${project.type} projects are not supported yet`, { file: project.entry, line: null });
  }
}
