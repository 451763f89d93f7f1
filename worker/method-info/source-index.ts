/**
 * What a project's JavaScript/TypeScript source says about its methods: every method
 * of a class or object literal with its doc comment, parameters (with their types)
 * and container (`class SportClient`, or the object literal's name), and every
 * interface or object type alias, so a typed `{ vx, vy }: Velocity` parameter can be
 * expanded into its keys.
 */
import { closing, textOf, tokenize, type Token } from './tokens.js';
import { parseParams, type ParsedParam } from './params.js';

export interface SourceMethod {
  /** The class, or the name an object literal is assigned to (`rover` in `exports.rover = {...}`). */
  container: string;
  name: string;
  params: ParsedParam[];
  /** The `/** ... *\/` right above it, if any. */
  doc?: string;
}

export interface TypeMember {
  name: string;
  type?: string;
  optional: boolean;
  doc?: string;
}

export interface SourceIndex {
  methods: SourceMethod[];
  /** Object-shaped types by name: interfaces and `type X = { ... }` (or intersections of such). */
  types: Map<string, string>;
  /** Each type text's source, for reading members: text -> [src, tokens] is rebuilt on demand. */
}

/** Words that may stand before a member name without being it. */
const MEMBER_MODIFIERS = new Set(['static', 'async', 'public', 'private', 'protected', 'readonly', 'override', 'abstract', 'declare', 'get', 'set', 'accessor']);
const NOT_A_METHOD = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'constructor', 'with', 'super', 'new', 'typeof', 'await', 'yield']);

interface Context {
  kind: 'class' | 'object' | 'block';
  name: string;
  /** Token index of its `{`. */
  open: number;
}

/** The doc comment right before token `k`, skipping modifiers, `*` and decorators. */
function docBefore(tokens: readonly Token[], k: number): string | undefined {
  let j = k - 1;
  while (j >= 0) {
    const t = tokens[j]!;
    if (t.kind === 'ident' && MEMBER_MODIFIERS.has(t.text)) j--;
    else if (t.kind === 'punct' && t.text === '*') j--;
    else if (t.kind === 'comment' && !t.text.startsWith('/**')) j--;
    else break;
  }
  const t = tokens[j];
  return t?.kind === 'comment' && t.text.startsWith('/**') ? t.text : undefined;
}

/** The name an object literal opening at `open` is given: `x = {`, `exports.x = {`, `x: {`, `export default {`. */
function objectName(tokens: readonly Token[], open: number): string {
  const prev = tokens[open - 1];
  const before = tokens[open - 2];
  if ((prev?.text === '=' || prev?.text === ':') && before?.kind === 'ident') return before.text;
  if (prev?.text === 'default') return 'default';
  return '';
}

export function indexSource(src: string): SourceIndex {
  const all = tokenize(src);
  const methods: SourceMethod[] = [];
  const types = new Map<string, string>();
  const stack: Context[] = [];
  const significant = (k: number, step: number): Token | undefined => {
    for (let j = k + step; j >= 0 && j < all.length; j += step) if (all[j]!.kind !== 'comment') return all[j];
    return undefined;
  };
  for (let k = 0; k < all.length; k++) {
    const t = all[k]!;
    if (t.kind === 'ident' && (t.text === 'interface' || t.text === 'type') && all[k + 1]?.kind === 'ident' && stack.every((c) => c.kind !== 'object')) {
      // interface Name [extends ...] { ... }   |   type Name = { ... } & Other
      const name = all[k + 1]!.text;
      let j = k + 2;
      if (all[j]?.text === '<') j = closing(all, j) + 1;
      if (t.text === 'interface') {
        const head = j;
        while (j < all.length && all[j]!.text !== '{') j++;
        const close = closing(all, j);
        if (close > j) {
          // `interface A extends B, C { ... }` has B's and C's members too.
          const bases = all[head]?.text === 'extends' ? textOf(src, all, head + 1, j - 1).split(',').map((b) => b.trim()).filter(Boolean) : [];
          types.set(name, [...bases, src.slice(all[j]!.start, all[close]!.end)].join(' & '));
        }
        k = Math.max(k, close);
      } else if (all[j]?.text === '=') {
        const end = typeAliasEnd(src, all, j + 1);
        // Raw text: new lines separate members.
        if (all[j + 1] && all[end]) types.set(name, src.slice(all[j + 1]!.start, all[end]!.end));
        k = end;
      }
      continue;
    }
    if (t.kind !== 'punct') {
      const ctx = stack[stack.length - 1];
      if (!ctx || ctx.kind === 'block' || t.kind === 'comment') continue;
      // A member at the top level of a class body or an object literal.
      if (t.kind !== 'ident' && t.kind !== 'string') continue;
      if (NOT_A_METHOD.has(t.text) || MEMBER_MODIFIERS.has(t.text) && significant(k, 1)?.kind === 'ident') continue;
      const prev = significant(k, -1);
      const startsMember = !prev || prev.text === '{' || prev.text === ';' || prev.text === ',' || prev.text === '}' || prev.kind === 'comment' || prev.text === '*' || (prev.kind === 'ident' && MEMBER_MODIFIERS.has(prev.text));
      if (!startsMember) continue;
      const name = t.kind === 'string' ? t.text.slice(1, -1) : t.text;
      let j = k + 1;
      while (all[j]?.kind === 'comment') j++;
      if (all[j]?.text === '?' || all[j]?.text === '!') j++;
      if (all[j]?.text === '<') j = closing(all, j) + 1;
      let open = -1;
      if (all[j]?.text === '(') open = j;
      else if (all[j]?.text === '=' || all[j]?.text === ':') {
        // name = (a) => ...   name: function (a) {...}   name = async (a) => ...   name: x => ...
        let m = j + 1;
        if (all[m]?.text === 'async') m++;
        if (all[m]?.text === 'function') {
          m++;
          if (all[m]?.text === '*') m++;
          if (all[m]?.kind === 'ident') m++;
        }
        if (all[m]?.text === '(') {
          const close = closing(all, m);
          const after = all[close + 1]?.text;
          if (close > 0 && (after === '=>' || after === '{' || after === ':')) open = m;
        } else if (all[m]?.kind === 'ident' && all[m + 1]?.text === '=>') {
          methods.push({ container: ctx.name, name, params: [{ kind: 'name', name: all[m]!.text }], doc: docBefore(all, k) });
          continue;
        }
      }
      if (open < 0) continue;
      const params = parseParams(src, all, open);
      if (params) methods.push({ container: ctx.name, name, params, doc: docBefore(all, k) });
      continue;
    }
    if (t.text === '{') {
      const prev = significant(k, -1);
      const classHead = findClassHead(all, k);
      if (classHead !== null) stack.push({ kind: 'class', name: classHead, open: k });
      else if (!prev || ['=', '(', ',', ':', '[', 'return', 'default', '?', '??', '||', '&&', '=>'].includes(prev.text) && !isBlockAfterArrowParams(all, k)) {
        stack.push({ kind: 'object', name: objectName(all, k), open: k });
      } else stack.push({ kind: 'block', name: '', open: k });
    } else if (t.text === '}') stack.pop();
  }
  return { methods, types };
}

/** The last token of a type alias's type starting at `from`: before a `;`, or at a line end where the type is complete. */
function typeAliasEnd(src: string, tokens: readonly Token[], from: number): number {
  let depth = 0;
  for (let k = from; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'punct') {
      if ('([{<'.includes(t.text)) depth++;
      else if (')]}>'.includes(t.text)) depth--;
      else if (t.text === ';' && depth <= 0) return k - 1;
    }
    const next = tokens[k + 1];
    if (!next) return k;
    if (depth <= 0 && /\n/.test(src.slice(t.end, next.start)) && !/^(=|\||&|<|,|:|=>|\.)$/.test(t.text) && !/^(\||&|\.|\?|=>|extends)$/.test(next.text)) return k;
  }
  return tokens.length - 1;
}

/** `class Name [extends X] [implements Y] {`: the class name ('' when anonymous), or null when this `{` opens no class. */
function findClassHead(tokens: readonly Token[], open: number): string | null {
  for (let j = open - 1, depth = 0; j >= 0 && open - j < 60; j--) {
    const t = tokens[j]!;
    if (t.kind === 'punct') {
      if (')]>'.includes(t.text)) depth++;
      else if ('([<'.includes(t.text)) depth--;
      else if (depth === 0 && (t.text === '{' || t.text === '}' || t.text === ';' || t.text === '=>')) return null;
    }
    if (depth === 0 && t.kind === 'ident' && t.text === 'class') {
      const name = tokens[j + 1];
      return name?.kind === 'ident' && !['extends', 'implements'].includes(name.text) ? name.text : '';
    }
  }
  return null;
}

/** `(a) => {`: the `{` is a function body, not an object literal. */
function isBlockAfterArrowParams(tokens: readonly Token[], open: number): boolean {
  return tokens[open - 1]?.text === '=>';
}

/** The members of an object type text: `{ vx?: number; vy: number }`, `A & { b: string }`, `Partial<A>`. */
export function typeMembers(typeText: string, types: ReadonlyMap<string, string>, depth = 0): TypeMember[] | null {
  if (depth > 5) return null;
  const text = typeText.trim();
  const parts = splitIntersection(text);
  if (parts.length > 1) {
    const all: TypeMember[] = [];
    for (const part of parts) {
      const members = typeMembers(part, types, depth + 1);
      if (!members) return null;
      for (const m of members) if (!all.some((a) => a.name === m.name)) all.push(m);
    }
    return all;
  }
  const wrapped = /^(Partial|Required|Readonly)<(.+)>$/s.exec(text);
  if (wrapped) {
    const inner = typeMembers(wrapped[2]!, types, depth + 1);
    if (!inner) return null;
    return wrapped[1] === 'Readonly' ? inner : inner.map((m) => ({ ...m, optional: wrapped[1] === 'Partial' }));
  }
  if (/^[A-Za-z_$][\w$]*$/.test(text)) {
    const declared = types.get(text);
    return declared === undefined ? null : typeMembers(declared, types, depth + 1);
  }
  if (!text.startsWith('{') || !text.endsWith('}')) return null;
  return literalMembers(text);
}

function splitIntersection(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if ('{([<'.includes(c)) depth++;
    else if ('})]>'.includes(c) && text[k - 1] !== '=') depth--;
    else if (c === '&' && depth === 0) {
      parts.push(text.slice(start, k).trim());
      start = k + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter(Boolean);
}

/** `{ a?: number; b: 'x' | 'y' }` (separated by `;`, `,` or new lines) as members. */
function literalMembers(text: string): TypeMember[] {
  const tokens = tokenize(text, 20_000);
  const members: TypeMember[] = [];
  const last = tokens.length - 1;
  let k = 1;
  while (k < last) {
    let doc: string | undefined;
    while (k < last && (tokens[k]!.kind === 'comment' || tokens[k]!.text === ';' || tokens[k]!.text === ',')) {
      if (tokens[k]!.kind === 'comment' && tokens[k]!.text.startsWith('/**')) doc = tokens[k]!.text;
      k++;
    }
    if (k >= last) break;
    const t = tokens[k]!;
    if (t.kind === 'ident' && t.text === 'readonly' && tokens[k + 1]?.kind === 'ident') k++;
    const nameTok = tokens[k]!;
    const name = nameTok.kind === 'string' ? nameTok.text.slice(1, -1) : nameTok.text;
    let j = k + 1;
    const optional = tokens[j]?.text === '?';
    if (optional) j++;
    // The member's type runs to a `;`/`,` at depth 0, or a new line where the type is complete.
    let end = j;
    if (tokens[j]?.text === ':') {
      let depth = 0;
      for (end = j + 1; end < last; end++) {
        const u = tokens[end]!;
        if (u.kind === 'punct') {
          if ('([{<'.includes(u.text)) depth++;
          else if (')]}>'.includes(u.text)) depth--;
          else if ((u.text === ';' || u.text === ',') && depth === 0) break;
        }
        const next = tokens[end + 1];
        if (depth === 0 && next && end + 1 < last && /\n/.test(text.slice(u.end, next.start)) && !/^[|&]$/.test(next.text) && !/^[|&:<=]$/.test(u.text)) {
          end++;
          break;
        }
      }
      const typeEnd = tokens[end - 1] && (tokens[end]?.text === ';' || tokens[end]?.text === ',' || end >= last) ? end - 1 : end - 1;
      const type = text.slice(tokens[j + 1]!.start, tokens[typeEnd]!.end).replace(/\s+/g, ' ').trim();
      if ((nameTok.kind === 'ident' || nameTok.kind === 'string') && tokens[j + 1]?.text !== '(') members.push({ name, type, optional, ...(doc ? { doc } : {}) });
    } else {
      // A method signature or something unreadable: skip to the next separator.
      while (end < last && tokens[end]!.text !== ';' && tokens[end]!.text !== ',') end++;
    }
    k = Math.max(end, k + 1);
  }
  return members;
}
