/**
 * A project that fails to load is answered with the file and line at fault, relative
 * to the project folder, so the robot developer can go straight to it.
 */
import { realpathSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerError } from '../ipc/errors.js';

/** Every "path:line" the error mentions, first the syntax-error header, then stack frames. */
function locations(err: Error): Array<{ path: string; line: number }> {
  const found: Array<{ path: string; line: number }> = [];
  const text = `${err.stack ?? ''}\n${err.message}`;
  const pattern = /((?:file:\/\/)?\/[^\s():]+):(\d+)(?::\d+)?/g;
  for (const m of text.matchAll(pattern)) {
    const raw = m[1]!;
    found.push({ path: raw.startsWith('file://') ? fileURLToPath(raw) : raw, line: Number(m[2]) });
  }
  return found;
}

export function projectLoadError(err: unknown, projectDir: string, entry: string): BrokerError {
  const error = err instanceof Error ? err : new Error(String(err));
  let root = projectDir;
  try {
    root = realpathSync(projectDir);
  } catch {
    // keep the path as given
  }
  const inProject = locations(error).find((l) => l.path.startsWith(root + sep) || l.path.startsWith(projectDir + sep));
  const file = inProject ? relative(inProject.path.startsWith(root) ? root : projectDir, inProject.path) : entry;
  const line = inProject?.line ?? null;
  const where = line ? `${file}:${line}` : file;
  return new BrokerError('E_PROJECT_LOAD', `${where}: ${error.name}: ${error.message}`, {
    file,
    line,
    error: { name: error.name, message: error.message },
  });
}
