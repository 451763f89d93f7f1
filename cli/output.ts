/** What the CLI prints: results on stdout, diagnostics on stderr, errors with their code. */
import { BrokerError, PackError, RobotClientError } from '../client/errors.js';

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** An error with a code (the broker's, the SDK's, packing's), or null for anything else. */
export function coded(e: unknown): { code: string; message: string; details: Record<string, unknown> } | null {
  if (e instanceof BrokerError || e instanceof RobotClientError) return { code: e.code, message: e.message, details: e.details };
  if (e instanceof PackError) return { code: e.code, message: e.message, details: {} };
  return null;
}

/**
 * "E_CODE: message (file:line:col)", then the robot's own stack frames (already
 * project-relative: the broker trims its frames out), then any other details as JSON
 * (the known objects, ...). ROBOT_CONTROL_DEBUG shows every detail as it came.
 */
export function describeError(e: unknown): string {
  const c = coded(e);
  if (!c) return e instanceof Error ? e.message : String(e);
  if (process.env.ROBOT_CONTROL_DEBUG) return `${c.code}: ${c.message}${Object.keys(c.details).length > 0 ? ` ${json(c.details)}` : ''}`;
  const { location, error, ...rest } = c.details as { location?: unknown; error?: unknown; [k: string]: unknown };
  const at = whereOf(location);
  const frames = framesOf(error);
  const others = error && typeof error === 'object' && !frames ? { ...rest, error: withoutStack(error) } : error && !frames ? { ...rest, error } : rest;
  const shown = Object.keys(others).length > 0 ? ` ${json(others)}` : '';
  return `${c.code}: ${c.message}${at && !c.message.includes(at) ? ` (${at})` : ''}${shown}${frames ? `\n${frames}` : ''}`;
}

/** `main.js:12:18` from a `{ file, line, column }`. */
function whereOf(location: unknown): string | null {
  const l = location as { file?: unknown; line?: unknown; column?: unknown } | null | undefined;
  if (!l || typeof l.file !== 'string' || typeof l.line !== 'number') return null;
  return `${l.file}:${l.line}${typeof l.column === 'number' ? `:${l.column}` : ''}`;
}

/** The frame lines of a robot error's stack (JavaScript "at ..." or a Python traceback), or null. */
function framesOf(error: unknown): string | null {
  const stack = (error as { stack?: unknown } | null | undefined)?.stack;
  if (typeof stack !== 'string') return null;
  let lines = stack.split('\n').filter((l) => l.trim() !== '');
  // V8: "Name: message" then frames. Python: "Traceback ..." then frames, then "Name: message".
  const python = lines[0]?.startsWith('Traceback');
  lines = python ? lines.slice(1, -1).map((l) => `  ${l.trimEnd()}`) : lines.slice(1).map((l) => `    ${l.trim()}`);
  return lines.length > 0 ? lines.join('\n') : null;
}

function withoutStack(error: object): object {
  return Object.fromEntries(Object.entries(error).filter(([k]) => k !== 'stack'));
}
