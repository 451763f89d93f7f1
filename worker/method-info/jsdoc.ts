/**
 * A JSDoc/TSDoc comment read for what a client shows: the description, and each
 * `@param {type} [name=default] text` (also `@arg`, `@argument`; dotted names such as
 * `opts.vx` document the keys of an object parameter).
 */

export interface DocParam {
  type?: string;
  optional?: boolean;
  default?: string;
  doc?: string;
}

export interface DocComment {
  description: string;
  params: Map<string, DocParam>;
}

const MAX_DOC = 2000;

/** Block tags that may also follow text on the same line (`/** Adds. @param a first *\/`). */
const INLINE_TAGS = /[ \t]+(?=@(?:param|arg|argument|returns?|throws|example|deprecated|see|since|remarks)\b)/g;

/** The comment's lines without the `/**`, `*\/` and leading `*`. */
function lines(comment: string): string[] {
  return comment
    .replace(/^\/\*\*?/, '')
    .replace(/\*\/$/, '')
    .replace(INLINE_TAGS, '\n')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trimEnd());
}

/** `{type}` with balanced braces, from the start of `text`. */
function braced(text: string): [string, string] | null {
  if (!text.startsWith('{')) return null;
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '{') depth++;
    else if (text[k] === '}' && --depth === 0) return [text.slice(1, k).trim(), text.slice(k + 1).trim()];
  }
  return null;
}

export function parseDocComment(comment: string): DocComment {
  const params = new Map<string, DocParam>();
  const description: string[] = [];
  let tag: string[] | null = null;
  const tags: string[][] = [];
  for (const line of lines(comment)) {
    const m = /^\s*@(\w+)\s*(.*)$/.exec(line);
    if (m) {
      tag = [m[1]!, m[2]!];
      tags.push(tag);
    } else if (tag) tag[1] += `\n${line}`;
    else description.push(line);
  }
  for (const [name, body] of tags) {
    if (name !== 'param' && name !== 'arg' && name !== 'argument') continue;
    let rest = body!.trim();
    const p: DocParam = {};
    const typed = braced(rest);
    if (typed) [p.type, rest] = typed;
    let pname: string;
    if (rest.startsWith('[')) {
      const end = rest.indexOf(']');
      if (end < 0) continue;
      const inner = rest.slice(1, end);
      const eq = inner.indexOf('=');
      pname = (eq < 0 ? inner : inner.slice(0, eq)).trim();
      if (eq >= 0) p.default = inner.slice(eq + 1).trim();
      p.optional = true;
      rest = rest.slice(end + 1);
    } else {
      const m = /^(\S+)/.exec(rest);
      if (!m) continue;
      pname = m[1]!;
      rest = rest.slice(pname.length);
    }
    if (p.type?.startsWith('=')) p.type = p.type.slice(1);
    if (p.type?.endsWith('=')) {
      // Closure's `{number=}`: optional.
      p.type = p.type.slice(0, -1);
      p.optional = true;
    }
    const doc = rest.replace(/^\s*-\s*/, '').replace(/\s+/g, ' ').trim();
    if (doc) p.doc = doc.slice(0, MAX_DOC);
    if (!p.type) delete p.type;
    params.set(pname, p);
  }
  return { description: description.join('\n').trim().slice(0, MAX_DOC), params };
}
