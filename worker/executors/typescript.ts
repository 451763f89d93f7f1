/**
 * TypeScript projects: `main.ts` and the `.ts` files it imports run as they are, no
 * build step. tsx (esbuild) strips the types, so type errors never block loading;
 * syntax errors are answered E_PROJECT_LOAD with file:line (worker/load-error.ts).
 * The objects are found exactly as for JavaScript (ObjectTable).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { devNull } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectLoadError } from '../load-error.js';
import type { ProjectInfo } from '../../ipc/worker-protocol.js';
import type { ExecutorContext } from './context.js';
import { moduleProject } from './javascript.js';
import type { LoadedProject } from './types.js';

export async function loadTypeScript(project: ProjectInfo, ctx: ExecutorContext): Promise<LoadedProject> {
  await ensureModuleType(project.dir);
  let namespace: Record<string, unknown>;
  try {
    // tsx is loaded only for TypeScript projects. Its hooks are registered for the whole
    // worker: it runs this one project until it is restarted, and import.meta.url stays clean.
    // (Node 20 starts the hooks thread synchronously: the event loop stalls for ~0.5 s.)
    registered ??= registerTsx(project.dir);
    await registered;
    namespace = (await import(pathToFileURL(join(project.dir, project.entry)).href)) as Record<string, unknown>;
  } catch (err) {
    throw projectLoadError(err, project.dir, project.entry);
  }
  return moduleProject(project, namespace, ctx.onStopError);
}

/** Once per worker: a retried load must not stack a second set of hooks. */
let registered: Promise<void> | null = null;

async function registerTsx(dir: string): Promise<void> {
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  // The project's own tsconfig (paths, decorators), never the one in the worker's working
  // directory (tsx's default). The CommonJS hooks read it from the environment; an empty file is none.
  const tsconfig = join(dir, 'tsconfig.json');
  const own = existsSync(tsconfig);
  process.env.TSX_TSCONFIG_PATH = own ? tsconfig : devNull;
  // Both, as the tsx command does: .ts files may be CommonJS (by the project's package.json) or ES modules.
  cjs.register();
  esm.register({ tsconfig: own ? tsconfig : false });
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
