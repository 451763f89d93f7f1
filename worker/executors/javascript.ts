/** JavaScript projects: main.js (CommonJS, or ESM by the project's package.json), main.mjs, main.cjs. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProjectInfo } from '../../ipc/protocol.js';
import { ObjectTable } from '../object-table.js';
import { projectLoadError } from '../load-error.js';
import type { LoadedProject } from './types.js';

export async function loadJavaScript(project: ProjectInfo, onStopError: (hook: string, err: unknown) => void): Promise<LoadedProject> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(join(project.dir, project.entry)).href)) as Record<string, unknown>;
  } catch (err) {
    throw projectLoadError(err, project.dir, project.entry);
  }
  return moduleProject(project, namespace, onStopError);
}

/** A loaded module as a project: its exports are the objects (JavaScript and TypeScript alike). */
export function moduleProject(
  project: ProjectInfo,
  namespace: Record<string, unknown>,
  onStopError: (hook: string, err: unknown) => void,
): LoadedProject {
  const table = ObjectTable.fromModule(namespace);
  return {
    type: project.type,
    entry: project.entry,
    objects: table.listing(),
    call: (object, method, args) => table.call(object, method, args),
    stop: (timeoutMs) => table.stop(timeoutMs, onStopError),
  };
}
