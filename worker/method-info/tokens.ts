/**
 * A tolerant JavaScript/TypeScript tokenizer: just enough to find methods, their
 * parameter lists and the doc comments above them. Strings, template literals (with
 * nested `${}`), comments and regular expressions are single tokens, so a brace or a
 * paren inside them never confuses the structure. It never throws and runs in one
 * pass; on code it does not understand it yields tokens that simply match nothing.
 */

export type TokenKind = 'ident' | 'punct' | 'string' | 'number' | 'comment' | 'regex' | 'template';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

/** After these words a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);
const MULTI_PUNCT = ['...', '=>', '?.', '??'];

/** Char-code tests: a regular expression per character made the reader ten times slower. */
function isIdentStart(c: string): boolean {
  const k = c.charCodeAt(0);
  return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95 || k === 36 || k === 35 || k >= 0x80;
}
function isIdent(c: string): boolean {
  const k = c.charCodeAt(0);
  return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || (k >= 48 && k <= 57) || k === 95 || k === 36 || k >= 0x80;
}
function isDigit(c: string | undefined): boolean {
  const k = c === undefined ? -1 : c.charCodeAt(0);
  return k >= 48 && k <= 57;
}

export function tokenize(src: string, maxTokens = 500_000): Token[] {
  const out: Token[] = [];
  /** Open `{` counts per template literal being interpolated: a `}` at count 0 resumes the template. */
  const templates: number[] = [];
  let i = 0;
  const n = src.length;
  const push = (kind: TokenKind, start: number, end: number) => out.push({ kind, text: src.slice(start, end), start, end });
  const lastSignificant = (): Token | undefined => {
    for (let k = out.length - 1; k >= 0; k--) if (out[k]!.kind !== 'comment') return out[k];
    return undefined;
  };
  /** Scan template text from `i` (just after ` or }) to its end or to a `${`. */
  const templateChunk = (start: number) => {
    let j = i;
    while (j < n) {
      const c = src[j];
      if (c === '\\') j += 2;
      else if (c === '`') {
        j++;
        push('template', start, j);
        i = j;
        return;
      } else if (c === '$' && src[j + 1] === '{') {
        j += 2;
        push('template', start, j);
        templates.push(0);
        i = j;
        return;
      } else j++;
    }
    push('template', start, n);
    i = n;
  };

  while (i < n && out.length < maxTokens) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\ufeff' || c === '\u00a0') {
      i++;
      continue;
    }
    const start = i;
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      i = end < 0 ? n : end;
      push('comment', start, i);
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      push('comment', start, i);
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      i = Math.min(n, j + 1);
      push('string', start, i);
      continue;
    }
    if (c === '`') {
      i++;
      templateChunk(start);
      continue;
    }
    if (c === '}' && templates.length > 0 && templates[templates.length - 1] === 0) {
      templates.pop();
      i++;
      templateChunk(start);
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) {
      let j = i + 1;
      while (j < n && (isIdent(src[j]!) || src[j] === '.')) j++;
      i = j;
      push('number', start, i);
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdent(src[j]!)) j++;
      i = j;
      push('ident', start, i);
      continue;
    }
    if (c === '/') {
      const prev = lastSignificant();
      const regexAllowed = !prev || (prev.kind === 'punct' && !/^[)\]}]$/.test(prev.text)) || (prev.kind === 'ident' && BEFORE_REGEX.has(prev.text));
      if (regexAllowed) {
        let j = i + 1;
        let inClass = false;
        while (j < n && src[j] !== '\n') {
          const d = src[j];
          if (d === '\\') j += 2;
          else if (d === '[') (inClass = true), j++;
          else if (d === ']') (inClass = false), j++;
          else if (d === '/' && !inClass) break;
          else j++;
        }
        j++;
        while (j < n && isIdent(src[j]!)) j++;
        i = Math.min(j, n);
        push('regex', start, i);
        continue;
      }
    }
    const multi = MULTI_PUNCT.find((p) => src.startsWith(p, i));
    i += multi ? multi.length : 1;
    if (templates.length > 0) {
      if (c === '{') templates[templates.length - 1]!++;
      else if (c === '}') templates[templates.length - 1]!--;
    }
    push('punct', start, i);
  }
  return out;
}

/** The index of the token closing the bracket opened at `open` (`(`, `[`, `{`, `<`), or -1. */
export function closing(tokens: readonly Token[], open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
  const opener = tokens[open]?.text ?? '';
  const closer = pairs[opener];
  if (!closer) return -1;
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'punct') continue;
    if (opener === '<') {
      // Generics: only angle brackets count, and a `>` of `=>` is a token of its own.
      if (t.text === '<') depth++;
      else if (t.text === '>' && --depth === 0) return k;
      else if (t.text === '{' || t.text === ';') return -1;
      continue;
    }
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') {
      if (--depth === 0) return t.text === closer ? k : -1;
    }
  }
  return -1;
}

/** The source text from token `from` to token `to` (inclusive), whitespace collapsed. */
export function textOf(src: string, tokens: readonly Token[], from: number, to: number): string {
  if (from > to || !tokens[from] || !tokens[to]) return '';
  return src.slice(tokens[from]!.start, tokens[to]!.end).replace(/\s+/g, ' ').trim();
}
