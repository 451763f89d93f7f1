/**
 * How deep and how big a value from the wire is, measured without recursion: a
 * payload nested 100,000 levels deep must cost a loop, not the stack. Socket.IO's
 * encoder, JSON.stringify and most of the code a value meets later recurse, and
 * overflow near 4,000 levels; values are checked here before anything else sees them.
 *
 * Values here come from JSON or Socket.IO's parser: plain objects, arrays,
 * strings, numbers, booleans, null and binary (Buffer, ArrayBuffer). No cycles,
 * getters or prototypes to worry about.
 */

/** Limits for one value. */
export interface ShapeLimits {
  /** Levels of arrays and objects, the value itself counting as the first. */
  maxDepth: number;
  /** Bytes the value may take as JSON (a lower bound is measured: it never refuses a smaller value). Absent: no limit. */
  maxBytes?: number;
}

/** The first limit a value breaks. */
export interface ShapeViolation {
  kind: 'depth' | 'size';
  /** Where it broke, as a dotted path of the first levels only (`params.args`); `(payload)` for the value itself. */
  field: string;
  limit: number;
}

export const ROOT_FIELD = '(payload)';
/** Levels named in `field`; deeper ones are reported at their ancestor (`params.args`, never `params.args.0.a.b...`). */
const NAMED_LEVELS = 2;
/** Longest key kept in `field`: keys are the client's, and may be a megabyte long. */
const MAX_KEY = 64;

/** A container being walked: depth-first, one child at a time, so the stack never holds more than `maxDepth` frames. */
interface Frame {
  node: object;
  /** An object's keys; null for an array. */
  keys: string[] | null;
  next: number;
  depth: number;
  path: string;
}

/** The first limit `value` breaks, or null. */
export function checkShape(value: unknown, limits: ShapeLimits): ShapeViolation | null {
  const maxBytes = limits.maxBytes ?? Infinity;
  const stack: Frame[] = [];
  let bytes = 0;
  const visit = (v: unknown, depth: number, path: string): ShapeViolation | null => {
    if (v !== null && typeof v === 'object' && !isBinary(v)) {
      if (depth > limits.maxDepth) return { kind: 'depth', field: path || ROOT_FIELD, limit: limits.maxDepth };
      bytes += 2;
      stack.push({ node: v, keys: Array.isArray(v) ? null : Object.keys(v), next: 0, depth, path });
    } else {
      bytes += leafBytes(v);
    }
    return bytes > maxBytes ? { kind: 'size', field: path || ROOT_FIELD, limit: maxBytes } : null;
  };
  let violation = visit(value, 1, '');
  while (violation === null && stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const i = f.next++;
    const named = f.depth <= NAMED_LEVELS;
    if (f.keys === null) {
      const items = f.node as unknown[];
      if (i >= items.length) {
        stack.pop();
        continue;
      }
      if (i > 0) bytes += 1; // the comma
      violation = visit(items[i], f.depth + 1, named ? join(f.path, String(i)) : f.path);
    } else {
      if (i >= f.keys.length) {
        stack.pop();
        continue;
      }
      const key = f.keys[i]!;
      const child = (f.node as Record<string, unknown>)[key];
      if (child === undefined) continue; // JSON leaves it out
      bytes += key.length + 3; // "key":
      violation = visit(child, f.depth + 1, named ? join(f.path, key.slice(0, MAX_KEY)) : f.path);
    }
  }
  return violation;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function isBinary(v: object): boolean {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

/** The fewest bytes a leaf takes as JSON (a string's UTF-16 length never exceeds its UTF-8 one). */
function leafBytes(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'number':
      return 1;
    case 'boolean':
      return 4;
    case 'object':
      return v === null ? 4 : (v as ArrayBufferLike | ArrayBufferView).byteLength;
    default:
      return 0;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;

/**
 * JSON text with every container nested past `maxDepth` replaced by `[]` (itself one
 * level too deep, so checkShape still names the place). V8's JSON.parse is slow on
 * deep nesting (a 5,000,000-level packet held the event loop for seconds); this one
 * pass over the text, jumping over strings and numbers natively, makes such a
 * packet cheap to parse and refuse. Text that nests no deeper comes back as is.
 */
export function pruneDeepJson(text: string, maxDepth: number): string {
  // Nesting past maxDepth takes more than maxDepth opening brackets.
  if (text.length <= maxDepth) return text;
  let depth = 0;
  let pieces: string[] | null = null;
  let copied = 0;
  /** Where the container being cut began, or -1. */
  let cut = -1;
  // The regex skips runs of digits, letters and commas natively: a 40 MB array of numbers costs next to nothing.
  const structure = /["[\]{}]/g;
  for (let m = structure.exec(text); m !== null; m = structure.exec(text)) {
    const i = m.index;
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      structure.lastIndex = stringEnd(text, i) + 1;
    } else if (ch === OPEN_ARRAY || ch === OPEN_OBJECT) {
      if (++depth > maxDepth && cut < 0) cut = i;
    } else if (--depth === maxDepth && cut >= 0) {
      (pieces ??= []).push(text.slice(copied, cut), '[]');
      copied = i + 1;
      cut = -1;
    }
  }
  // Unterminated: the cut runs to the end, and the text stays as unparseable as it was.
  if (cut >= 0) (pieces ??= []).push(text.slice(copied, cut), '[]'), (copied = text.length);
  return pieces === null ? text : pieces.join('') + text.slice(copied);
}

/** Index of the quote closing the string that opens at `at` (the text's end if none). */
function stringEnd(text: string, at: number): number {
  for (let q = text.indexOf('"', at + 1); q !== -1; q = text.indexOf('"', q + 1)) {
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
  }
  return text.length;
}
