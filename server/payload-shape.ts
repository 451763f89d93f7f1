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

interface Frame {
  node: object;
  depth: number;
  path: string;
}

/** The first limit `value` breaks, or null. */
export function checkShape(value: unknown, limits: ShapeLimits): ShapeViolation | null {
  const maxBytes = limits.maxBytes ?? Infinity;
  const stack: Frame[] = [];
  let bytes = 0;
  // Leaves are counted here; containers are queued (never more than the values they hold).
  const visit = (v: unknown, depth: number, path: string): ShapeViolation | null => {
    if (v !== null && typeof v === 'object' && !isBinary(v)) {
      if (depth > limits.maxDepth) return { kind: 'depth', field: path || ROOT_FIELD, limit: limits.maxDepth };
      bytes += 2;
      stack.push({ node: v, depth, path });
    } else {
      bytes += leafBytes(v);
    }
    return bytes > maxBytes ? { kind: 'size', field: path || ROOT_FIELD, limit: maxBytes } : null;
  };
  let violation = visit(value, 1, '');
  while (violation === null && stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    const named = depth <= NAMED_LEVELS;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length && violation === null; i++) {
        bytes += 1; // the comma
        violation = visit(node[i], depth + 1, named ? join(path, String(i)) : path);
      }
    } else {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        bytes += key.length + 3; // "key":
        violation = visit(record[key], depth + 1, named ? join(path, key.slice(0, MAX_KEY)) : path);
        if (violation !== null) break;
      }
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
