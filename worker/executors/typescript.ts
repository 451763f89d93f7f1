/**
 * TypeScript projects: `main.ts` and the `.ts` files it imports run as they are, no
 * build step. tsx (esbuild) strips the types, so type errors never block loading;
 * syntax errors are answered E_PROJECT_LOAD with file:line (worker/load-error.ts).
 * The objects are found exactly as for JavaScript (ObjectTable).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectLoadError } from '../load-error.js';
import { ObjectTable } from '../object-table.js';
import type { ProjectInfo } from '../project-store.js';
import type { ExecutorContext } from './context.js';
import type { LoadedProject } from './types.js';

export async function loadTypeScript(project: ProjectInfo, ctx: ExecutorContext): Promise<LoadedProject> {
  await ensureModuleType(project.dir);
  let namespace: Record<string, unknown>;
  try {
    // Loaded only for TypeScript projects; tsImport scopes tsx's hooks to this import graph.
    const { tsImport } = await import('tsx/esm/api');
    const tsconfig = join(project.dir, 'tsconfig.json');
    namespace = (await tsImport(pathToFileURL(join(project.dir, project.entry)).href, {
      parentURL: import.meta.url,
      // The project's own tsconfig (paths, decorators), never the one in the worker's working directory.
      tsconfig: existsSync(tsconfig) ? tsconfig : false,
    })) as Record<string, unknown>;
  } catch (err) {
    throw projectLoadError(err, project.dir, project.entry);
  }
  const table = ObjectTable.fromModule(namespace);
  return {
    type: project.type,
    entry: project.entry,
    objects: table.listing(),
    call: (object, method, args) => table.call(object, method, args),
    stop: (timeoutMs) => table.stop(timeoutMs, ctx.onStopError),
  };
}

/**
 * A TypeScript project without a package.json of its own runs as ES modules, so
 * `import`/`export` and top-level await work as a TypeScript developer expects (tsx
 * would otherwise follow Node and compile to CommonJS, where top-level await fails).
 * A project that ships a package.json keeps whatever its "type" says.
 */
async function ensureModuleType(dir: string): Promise<void> {
  const manifest = join(dir, 'package.json');
  if (existsSync(manifest)) return;
  try {
    await writeFile(manifest, '{ "type": "module" }\n', { flag: 'wx' });
  } catch {
    // A read-only project folder: it runs as CommonJS.
  }
}
