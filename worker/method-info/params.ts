/**
 * A JavaScript/TypeScript parameter list, read from tokens: names, destructured
 * object patterns (their keys and defaults), rest parameters, TypeScript's `?` and
 * type annotations, and defaults as written. The same reader serves the source file
 * (with types) and V8's `Function.prototype.toString()` of the loaded method.
 */
import { closing, textOf, tokenize, type Token } from './tokens.js';

export interface ParsedParam {
  /** `name`: a plain identifier; `object`/`array`: a destructuring pattern. */
  kind: 'name' | 'object' | 'array';
  /** The identifier, or for an object pattern's key its key. '' for a top-level pattern. */
  name: string;
  rest?: boolean;
  /** TypeScript `?`. */
  question?: boolean;
  type?: string;
  default?: string;
  /** An object pattern's keys, in order (a `...rest` key is left out: see `hasRest`). */
  fields?: ParsedParam[];
  hasRest?: boolean;
}

/** TypeScript parameter-property modifiers, which name nothing. */
const MODIFIERS = new Set(['public', 'private', 'protected', 'readonly', 'override']);

/** Split tokens [from, to] at top-level commas. */
function splitTopLevel(tokens: readonly Token[], from: number, to: number, sep = ','): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let depth = 0;
  let start = from;
  for (let k = from; k <= to; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'punct') continue;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text)) depth--;
    else if (t.text === '<') depth++;
    else if (t.text === '>') depth = Math.max(0, depth - 1);
    else if (t.text === sep && depth === 0) {
      parts.push([start, k - 1]);
      start = k + 1;
    }
  }
  if (start <= to) parts.push([start, to]);
  return parts.filter(([a, b]) => a <= b && tokens.slice(a, b + 1).some((t) => t.kind !== 'comment'));
}

/** The first token index in [from, to] that is `text` at depth 0, or -1. */
function findTopLevel(tokens: readonly Token[], from: number, to: number, text: string): number {
  let depth = 0;
  for (let k = from; k <= to; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'punct') continue;
    if (depth === 0 && t.text === text) return k;
    if ('([{<'.includes(t.text)) depth++;
    else if (')]}>'.includes(t.text)) depth = Math.max(0, depth - 1);
  }
  return -1;
}

function skipComments(tokens: readonly Token[], k: number, to: number): number {
  while (k <= to && tokens[k]!.kind === 'comment') k++;
  return k;
}

/** One parameter (or one key of an object pattern, `isKey`) in tokens [from, to]. */
function parseOne(src: string, tokens: readonly Token[], from: number, to: number, isKey: boolean): ParsedParam | null {
  let k = skipComments(tokens, from, to);
  // Decorators (`@Inject() x`) and parameter-property modifiers name nothing.
  while (k <= to && tokens[k]!.text === '@') {
    k++;
    if (tokens[k]?.kind === 'ident') k++;
    if (tokens[k]?.text === '(') k = closing(tokens, k) + 1 || to + 1;
    k = skipComments(tokens, k, to);
  }
  while (k < to && tokens[k]!.kind === 'ident' && MODIFIERS.has(tokens[k]!.text) && tokens[k + 1]?.kind === 'ident') k++;
  if (k > to) return null;
  const p: ParsedParam = { kind: 'name', name: '' };
  if (tokens[k]!.text === '...') {
    p.rest = true;
    k++;
  }
  const first = tokens[k];
  if (!first) return null;
  let afterPattern = k + 1;
  if (isKey) {
    // key, key = d, key: alias, key: alias = d, key: { nested }, 'quoted key': x
    if (first.kind === 'ident' || first.kind === 'string' || first.kind === 'number') p.name = first.kind === 'string' ? first.text.slice(1, -1) : first.text;
    else return null;
  } else if (first.text === '{' || first.text === '[') {
    const close = closing(tokens, k);
    if (close < 0 || close > to) return null;
    p.kind = first.text === '{' ? 'object' : 'array';
    if (p.kind === 'object') {
      p.fields = [];
      for (const [a, b] of splitTopLevel(tokens, k + 1, close - 1)) {
        if (tokens[skipComments(tokens, a, b)]?.text === '...') {
          p.hasRest = true;
          continue;
        }
        const field = parseOne(src, tokens, a, b, true);
        if (field) p.fields.push(field);
      }
    }
    afterPattern = close + 1;
  } else if (first.kind === 'ident') {
    p.name = first.text;
  } else return null;

  let m = afterPattern;
  if (isKey && tokens[m]?.text === ':') {
    // A renamed or nested key: its default, if any, follows the target.
    const eq = findTopLevel(tokens, m + 1, to, '=');
    if (eq >= 0) p.default = textOf(src, tokens, eq + 1, to);
    return p;
  }
  if (tokens[m]?.text === '?' && m <= to) {
    p.question = true;
    m++;
  }
  const eq = findTopLevel(tokens, m, to, '=');
  const typeEnd = eq >= 0 ? eq - 1 : to;
  if (!isKey && tokens[m]?.text === ':' && m < typeEnd + 1) p.type = textOf(src, tokens, m + 1, typeEnd) || undefined;
  if (eq >= 0) p.default = textOf(src, tokens, eq + 1, to) || undefined;
  return p;
}

/** The parameters between the parens at tokens[open] and its closing paren. */
export function parseParams(src: string, tokens: readonly Token[], open: number): ParsedParam[] | null {
  const close = closing(tokens, open);
  if (close < 0) return null;
  const out: ParsedParam[] = [];
  for (const [a, b] of splitTopLevel(tokens, open + 1, close - 1)) {
    const p = parseOne(src, tokens, a, b, false);
    // `this: Robot` is a TypeScript annotation, not a parameter.
    if (p && !(p.kind === 'name' && p.name === 'this')) out.push(p);
  }
  return out;
}

/**
 * The parameters of a function from its source text as V8 prints it:
 * `Move({ vx = 0 } = {}) {...}`, `async function f(a, b) {...}`, `(a) => a`, `x => x`.
 * Null for what it cannot read (native or bound functions give `() { [native code] }`: no parameters).
 */
export function paramsOfFunctionText(text: string): ParsedParam[] | null {
  // The parameters come first: the body (often most of the text) need not be read.
  const tokens = tokenize(text, 400).filter((t) => t.kind !== 'comment');
  if (tokens.length === 0) return null;
  // A single-parameter arrow without parens: `x => ...`, `async x => ...`.
  const a = tokens[0]!.text === 'async' && tokens[1]?.kind === 'ident' ? 1 : 0;
  if (tokens[a]?.kind === 'ident' && tokens[a + 1]?.text === '=>') return [{ kind: 'name', name: tokens[a]!.text }];
  let depth = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' && depth === 0) return parseParams(text, tokens, k);
    if (t.text === '[') depth++;
    else if (t.text === ']') depth--;
    else if (t.text === '{') return null;
  }
  return null;
}
