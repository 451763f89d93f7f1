/**
 * A broker error as people read it: the message, where in the robot's code (the
 * project-relative file:line, highlighted), the robot's own stack frames, then any
 * other details. Text, never one JSON string with literal `\n`.
 */
import type { Ack } from '#protocol';

/** An error ack's data: { code, ...details }. */
type WireError = Extract<Ack, { status: 'error' }>['data'];
import { h, jsonBlock } from './dom.js';

/** `main.js:12:18` from `data.location`, or from an E_PROJECT_LOAD's `file`/`line`. */
export function whereOf(data: WireError): string | null {
  const l = (data.location ?? (typeof data.file === 'string' ? data : null)) as { file?: unknown; line?: unknown; column?: unknown } | null;
  if (!l || typeof l.file !== 'string' || typeof l.line !== 'number') return null;
  return `${l.file}:${l.line}${typeof l.column === 'number' ? `:${l.column}` : ''}`;
}

/** `file:line[:col]` in a line of a stack, so it can be highlighted. */
const LOCATION = /([\w@./-]+\.(?:[cm]?[jt]s|py)):(\d+)(?::(\d+))?|File "([^"]+)", line (\d+)/g;

/** A stack line with its locations wrapped in <mark> (the first one that is `where` gets `.here`). */
function stackLine(line: string, where: string | null): HTMLElement {
  const el = h('span', { class: 'frame' });
  let at = 0;
  for (const m of line.matchAll(LOCATION)) {
    el.append(line.slice(at, m.index));
    const loc = m[4] ? `${m[4]}:${m[5]}` : m[0];
    const mark = h('mark', { class: 'loc', text: m[0] });
    if (where && (where === loc || where.startsWith(`${loc}:`) || loc.startsWith(where))) mark.classList.add('here');
    el.append(mark);
    at = m.index + m[0].length;
  }
  el.append(line.slice(at), '\n');
  return el;
}

/** The body of the result pane for an error ack. */
export function errorBody(message: string, data: WireError): HTMLElement[] {
  const { code: _code, location: _location, error, ...rest } = data as WireError & { error?: { stack?: unknown } };
  const where = whereOf(data);
  const out: HTMLElement[] = [h('div', { class: 'err-message', text: message })];
  if (where) out.push(h('div', { class: 'err-where' }, 'at ', h('mark', { class: 'loc here', text: where })));
  const stack = typeof error?.stack === 'string' ? error.stack : null;
  const frames = stack ? stack.split('\n').slice(1).filter((l) => l.trim() !== '') : [];
  if (frames.length > 0) out.push(h('pre', { class: 'err-stack' }, ...frames.map((l) => stackLine(l, where))));
  const other: Record<string, unknown> = { ...rest };
  if (error && !stack) other.error = error;
  if (data.location === undefined && where) {
    delete other.file;
    delete other.line;
    delete other.column;
  }
  if (Object.keys(other).length > 0) out.push(h('pre', { class: 'err-details', text: jsonBlock(other) }));
  return out;
}
