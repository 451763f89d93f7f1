/**
 * Questions about a log line (one JSON object, as pino writes it) answered without
 * parsing it: the log thread asks them of every line, and parsing each line was much of
 * that thread's work (docs/PERFORMANCE.md). Each answer is the one JSON.parse would give
 * for a valid line (tests/observability/log-sink.fuzz.test.ts checks that against
 * JSON.parse with generated lines). One pass over the line, however many times a key's
 * text occurs in it.
 */

/** Where the last top-level key `name` starts in `line` (its `"name":`), or -1. */
function lastTopLevelKey(line: string, name: string): { at: number; key: string } {
  const key = `${JSON.stringify(name)}:`;
  let last = -1;
  // The nesting scanned so far: [0, i) read, `depth` 1 inside the top-level object.
  let i = 0;
  let depth = 0;
  let inString = false;
  for (let at = line.indexOf(key); at !== -1; at = line.indexOf(key, Math.max(at + key.length, i))) {
    for (; i < at; i++) {
      const c = line.charCodeAt(i);
      if (inString) {
        if (c === 0x5c) i++; // backslash: the next character is escaped
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
    }
    // i > at: an escape stepped over `at` (inside a string). At i === at the key's opening quote
    // is unescaped, so it starts a string: in valid JSON, a key when `"name":` follows.
    if (i === at && depth === 1) last = at;
  }
  return { at: last, key };
}

/**
 * Whether the top-level field `name` of the JSON object `line` is the string `value`:
 * what `JSON.parse(line)[name] === value` says, the last of duplicate keys winning.
 */
export function hasTopLevelString(line: string, name: string, value: string): boolean {
  const { at, key } = lastTopLevelKey(line, name);
  const field = `${key}${JSON.stringify(value)}`;
  if (at === -1 || !line.startsWith(field, at)) return false;
  const after = line.charCodeAt(at + field.length);
  return after === 0x2c || after === 0x7d; // , or }: the value ends there
}

/** The top-level field `name` of the JSON object `line` when it is a number (the last of duplicate keys), else undefined. */
export function topLevelNumber(line: string, name: string): number | undefined {
  const { at, key } = lastTopLevelKey(line, name);
  if (at === -1) return undefined;
  const from = at + key.length;
  let end = from;
  while (end < line.length && line[end] !== ',' && line[end] !== '}') end++;
  const text = line.slice(from, end);
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? Number(text) : undefined;
}
