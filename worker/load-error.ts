/**
 * A project that fails to load is answered with the file and line at fault, relative
 * to the project folder, so the robot developer can go straight to it.
 *
 * Two shapes of error carry a location: V8's (a SyntaxError's "path:line" header, stack
 * frames "path:line:col") and esbuild's, which tsx throws for TypeScript that does not
 * parse: "Transform failed with 1 error:\n/path/main.ts:3:10: ERROR: Unexpected ";"".
 */
import { fileURLToPath } from 'node:url';
import { BrokerError } from '../ipc/errors.js';
import { projectRelative, projectRoots } from './stack.js';

interface Location {
  path: string;
  line: number;
  column?: number;
}

const ESBUILD_ERROR = /^((?:file:\/\/)?\/[^\n]*?):(\d+):(\d+): ERROR: (.*)$/m;

function toPath(raw: string): string {
  return raw.startsWith('file://') ? fileURLToPath(raw) : raw;
}

/** Every "path:line" the error mentions, first the syntax-error header, then stack frames. */
function locations(err: Error): Location[] {
  const found: Location[] = [];
  const text = `${err.stack ?? ''}\n${err.message}`;
  const pattern = /((?:file:\/\/)?\/[^\s():]+):(\d+)(?::\d+)?/g;
  for (const m of text.matchAll(pattern)) found.push({ path: toPath(m[1]!), line: Number(m[2]) });
  return found;
}

/** esbuild's first error: where, and its text without the absolute path around it. */
function esbuildError(err: Error): { at: Location; message: string } | null {
  const m = ESBUILD_ERROR.exec(err.message);
  if (!m) return null;
  // esbuild columns are 0-based; editors count from 1.
  return { at: { path: toPath(m[1]!), line: Number(m[2]), column: Number(m[3]) + 1 }, message: m[4]! };
}

export function projectLoadError(err: unknown, projectDir: string, entry: string): BrokerError {
  let error = err instanceof Error ? err : new Error(String(err));
  const roots = projectRoots(projectDir);
  const isInProject = (l: Location) => projectRelative(l.path, roots) !== null;
  const transform = esbuildError(error);
  let inProject: Location | undefined;
  if (transform && isInProject(transform.at)) {
    inProject = transform.at;
    error = Object.assign(new Error(transform.message), { name: 'SyntaxError' });
  } else {
    inProject = locations(error).find(isInProject);
  }
  const file = inProject ? projectRelative(inProject.path, roots)! : entry;
  const line = inProject?.line ?? null;
  const where = line ? `${file}:${line}` : file;
  return new BrokerError('E_PROJECT_LOAD', `${where}: ${error.name}: ${error.message}`, {
    file,
    line,
    ...(inProject?.column ? { column: inProject.column } : {}),
    error: { name: error.name, message: error.message },
  });
}
