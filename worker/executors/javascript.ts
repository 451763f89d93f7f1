/** JavaScript projects: main.js (CommonJS, or ESM by the project's package.json), main.mjs, main.cjs. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProjectInfo } from '../../ipc/worker-protocol.js';
import { ObjectTable } from '../object-table.js';
import { projectLoadError } from '../load-error.js';
import { projectRoots, trimmedCall } from '../stack.js';
import { describeMethods } from '../method-info/index.js';
import { BrokerError } from '../../ipc/errors.js';
import type { LoadedProject } from './types.js';

export async function loadJavaScript(project: ProjectInfo, onStopError: (hook: string, err: unknown) => void): Promise<LoadedProject> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(join(project.dir, project.entry)).href)) as Record<string, unknown>;
  } catch (err) {
    throw projectLoadError(err, project.dir, project.entry);
  }
  return await moduleProject(project, namespace, onStopError);
}

/** A loaded module as a project: its exports are the objects (JavaScript and TypeScript alike). */
export async function moduleProject(
  project: ProjectInfo,
  namespace: Record<string, unknown>,
  onStopError: (hook: string, err: unknown) => void,
): Promise<LoadedProject> {
  const table = ObjectTable.fromModule(namespace);
  // Taken now: where this worker's code lives, whatever `current` points at later.
  const roots = projectRoots(project.dir);
  return {
    type: project.type,
    entry: project.entry,
    objects: table.listing(),
    methods: await describeMethods(table, project.dir, project.entry),
    // A robot error reaches the client with its project-relative frames only; the broker's own errors keep their codes.
    call: (object, method, args) => trimmedCall(() => table.call(object, method, args), roots, (err) => err instanceof BrokerError),
    stop: (timeoutMs) => table.stop(timeoutMs, onStopError),
  };
}
