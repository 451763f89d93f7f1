/**
 * A robot method's error as its developer needs it: the message, where in the
 * project it was thrown (`main.js:12:18`, project-relative) and only the project's
 * own stack frames. No absolute release path, no broker or Node internals.
 *
 * The project root is a parameter (the folder the worker loaded, as this process
 * sees it), never guessed from the path: release folders may be mounted anywhere.
 * TypeScript frames already carry the `.ts` lines: tsx installs source maps.
 */
import { realpathSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where, in the project, something happened. `file` is relative to the project folder. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

/** One V8 stack frame: `at fn (path:line:col)` or `at path:line:col`. */
export interface StackFrame {
  /** The function, as V8 names it (`R.Fail`, `async process`), or '' at top level. */
  fn: string;
  path: string;
  line: number;
  column: number;
}

const FRAME = /^\s*at (?:(.*?) \()?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?\s*$/;

function toPath(raw: string): string {
  try {
    return raw.startsWith('file://') ? fileURLToPath(raw) : raw;
  } catch {
    return raw;
  }
}

/** The frames of a V8 stack, innermost first; lines that are not frames (the message) are skipped. */
export function parseFrames(stack: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const text of stack.split('\n')) {
    const m = FRAME.exec(text);
    if (m) frames.push({ fn: m[1] ?? '', path: toPath(m[2]!), line: Number(m[3]), column: Number(m[4]) });
  }
  return frames;
}

/** The project folder as given and as resolved (Node reports modules by their real path). */
export function projectRoots(root: string): string[] {
  const roots = [root.replace(/\/+$/, '')];
  try {
    const real = realpathSync(root);
    if (real !== roots[0]) roots.push(real);
  } catch {
    // a folder that is gone: the given path is all we have
  }
  return roots;
}

/** `path` relative to the project, or null when it lies outside it. */
export function projectRelative(path: string, roots: readonly string[]): string | null {
  for (const r of roots) if (path.startsWith(r + sep)) return relative(r, path);
  return null;
}

/** An error thrown by robot code, reduced to the project's own frames. */
export class ProjectError extends Error {
  constructor(
    name: string,
    message: string,
    stack: string,
    /** The innermost frame in the project's own code (its dependencies' frames are kept but not pointed at). */
    readonly location: SourceLocation | null,
  ) {
    super(message);
    this.name = name;
    this.stack = stack;
  }
}

/**
 * A thrown value as a ProjectError: the message with project paths made relative,
 * then "    at fn (file:line:col)" for each frame inside `root`, innermost first.
 */
export function projectError(err: unknown, roots: readonly string[]): ProjectError {
  const e = err instanceof Error ? err : null;
  const strip = (text: string) => roots.reduce((t, r) => t.split(r + sep).join(''), text);
  const name = e ? String(e.name || 'Error') : 'Error';
  const message = strip(e ? String(e.message) : String(err));
  const frames: string[] = [];
  let location: SourceLocation | null = null;
  for (const f of parseFrames(e && typeof e.stack === 'string' ? e.stack : '')) {
    const file = projectRelative(f.path, roots);
    if (file === null) continue;
    const at = `${file}:${f.line}:${f.column}`;
    frames.push(`    at ${f.fn ? `${f.fn} (${at})` : at}`);
    const own = !file.split(sep).includes('node_modules');
    if (!location && own) location = { file, line: f.line, column: f.column };
  }
  return new ProjectError(name, message, [`${name}: ${message}`, ...frames].join('\n'), location);
}

/**
 * Run a robot call, turning what it throws (or its Promise rejects with) into a
 * ProjectError; errors `keep` accepts (the broker's own, with their codes) pass as they are.
 * `roots`: projectRoots() of the loaded folder, taken at load time (a later swap of
 * `current` must not change where this worker's code lives).
 */
export function trimmedCall(call: () => unknown, roots: readonly string[], keep: (err: unknown) => boolean): unknown {
  const fail = (err: unknown): never => {
    throw keep(err) ? err : projectError(err, roots);
  };
  let result: unknown;
  try {
    result = call();
  } catch (err) {
    fail(err);
  }
  return result instanceof Promise ? result.catch(fail) : result;
}

/** The details of an E_METHOD_FAILED answer: the error (name, message, project-only stack) and its location. */
export function methodErrorDetails(e: Error): Record<string, unknown> {
  const location = e instanceof ProjectError ? e.location : (e as { location?: SourceLocation | null }).location;
  return { error: { name: e.name, message: e.message, stack: e.stack }, ...(location ? { location } : {}) };
}
