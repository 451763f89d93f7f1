/**
 * The args editor's rules: JSON checked before sending, remembered per method.
 * Same meaning as the protocol: an array is spread as positional arguments, an
 * object is passed whole as the one argument, empty means no arguments.
 */
import { stored } from './dom.js';

export type Args = unknown[] | Record<string, unknown> | undefined;
export type Parsed = { ok: true; args: Args } | { ok: false; error: string };

export function parseArgs(text: string): Parsed {
  if (text.trim() === '') return { ok: true, args: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Not valid JSON: ${(err as Error).message}` };
  }
  if (Array.isArray(value)) return { ok: true, args: value };
  if (value !== null && typeof value === 'object') return { ok: true, args: value as Record<string, unknown> };
  return { ok: false, error: `Args must be an array (positional: [${text.trim()}]) or an object (one argument: {"key": …}); leave empty for none.` };
}

/** What the args will do, for the hint under the editor. */
export function describeArgs(args: Args): string {
  if (args === undefined) return 'No arguments.';
  if (Array.isArray(args)) return args.length === 0 ? 'No arguments (empty array).' : `${args.length} positional argument${args.length === 1 ? '' : 's'}.`;
  return 'One object argument.';
}

/** The arguments as the history shows them: compact JSON, or nothing. */
export function argsText(args: Args): string {
  return args === undefined ? '' : JSON.stringify(args);
}

const KEY = 'robot-control.args';

/** The last args sent to each `object.method`, kept across sessions (localStorage). */
export const argsMemory = {
  get(object: string, method: string): string | undefined {
    return stored.get<Record<string, string>>(localStorage, KEY, {})[`${object}.${method}`];
  },
  set(object: string, method: string, text: string): void {
    const all = stored.get<Record<string, string>>(localStorage, KEY, {});
    all[`${object}.${method}`] = text;
    stored.set(localStorage, KEY, all);
  },
};
