/**
 * Method signatures and docs for a loaded JavaScript/TypeScript project, for the
 * `start` ack's `methods`.
 *
 * Two sources, cross-checked: the loaded function itself (V8's
 * `Function.prototype.toString()` gives its real parameter list, types stripped by
 * tsx for TypeScript) and the project's source files (doc comments, TypeScript types,
 * interfaces), read by a small tolerant reader (tokens.ts, params.ts, source-index.ts).
 * A source method is used only when its parameters match the loaded function's, so a
 * wrong guess degrades to the bare names, never to wrong hints. Nothing here runs
 * robot code (descriptors are read, getters never called) and nothing here throws.
 *
 * Why not the TypeScript compiler or a parser package: typescript is a devDependency
 * (and version 7 is a native binary without the old JavaScript API); the worker must
 * run from a production install, inside a sandbox, without adding dependencies.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodInfo, MethodParam } from '../../ipc/protocol.js';
import type { ObjectTable } from '../object-table.js';
import { parseDocComment, type DocComment, type DocParam } from './jsdoc.js';
import { paramsOfFunctionText, type ParsedParam } from './params.js';
import { indexSource, typeMembers, type SourceMethod } from './source-index.js';

const SOURCE = /\.(js|mjs|cjs|ts|mts|cts)$/;
const MAX_FILES = 200;
const MAX_FILE_BYTES = 512 * 1024;
/** Source read in all: the reader runs on the worker's event loop, which must keep answering heartbeats. */
const MAX_TOTAL_BYTES = 2 * 1024 * 1024;
/** Lifecycle hooks the broker calls itself. */
const HOOKS = new Set(['stop']);

/** The project's JS/TS source files, entry first; node_modules and hidden folders skipped; bounded. */
function sourceFiles(dir: string, entry: string): string[] {
  const files = [join(dir, entry)];
  const walk = (d: string, depth: number) => {
    if (depth > 8 || files.length >= MAX_FILES) return;
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (files.length >= MAX_FILES) return;
      if (name.startsWith('.') || name === 'node_modules') continue;
      const path = join(d, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(path, depth + 1);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts') && st.size <= MAX_FILE_BYTES && !files.includes(path)) files.push(path);
    }
  };
  walk(dir, 0);
  return files;
}

interface Index {
  methods: SourceMethod[];
  types: Map<string, string>;
}

async function indexProject(dir: string, entry: string): Promise<Index> {
  const index: Index = { methods: [], types: new Map() };
  let total = 0;
  for (const file of sourceFiles(dir, entry)) {
    // One file per turn of the event loop: a ping is answered between two files.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const text = readFileSync(file, 'utf8');
      total += text.length;
      if (total > MAX_TOTAL_BYTES) break;
      const found = indexSource(text);
      index.methods.push(...found.methods);
      for (const [k, v] of found.types) if (!index.types.has(k)) index.types.set(k, v);
    } catch {
      // Unreadable file: its methods get their bare names.
    }
  }
  return index;
}

/** The function behind `target[method]`, read from descriptors (a getter would run robot code). */
function functionOf(target: object, method: string): ((...a: unknown[]) => unknown) | null {
  for (let o: object | null = target, i = 0; o && i < 20; o = Object.getPrototypeOf(o) as object | null, i++) {
    const d = Object.getOwnPropertyDescriptor(o, method);
    if (d) return typeof d.value === 'function' ? (d.value as (...a: unknown[]) => unknown) : null;
  }
  return null;
}

/** The names of the classes `target` is an instance of, nearest first. */
function classNames(target: object): string[] {
  const names: string[] = [];
  for (let o: object | null = Object.getPrototypeOf(target) as object | null, i = 0; o && o !== Object.prototype && i < 20; o = Object.getPrototypeOf(o) as object | null, i++) {
    const ctor = Object.getOwnPropertyDescriptor(o, 'constructor')?.value as { name?: unknown } | undefined;
    if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name) names.push(ctor.name);
  }
  return names;
}

function sameShape(a: readonly ParsedParam[], b: readonly ParsedParam[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i]!;
    if (p.kind !== q.kind || !!p.rest !== !!q.rest) return false;
    if (p.kind === 'name') return p.name === q.name;
    if (p.kind === 'object') return (p.fields ?? []).map((f) => f.name).join() === (q.fields ?? []).map((f) => f.name).join();
    return true;
  });
}

function inferType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^[-+]?(\d|\.\d)/.test(value)) return 'number';
  if (/^['"`]/.test(value)) return 'string';
  if (value === 'true' || value === 'false') return 'boolean';
  if (value.startsWith('[')) return 'array';
  if (value.startsWith('{')) return 'object';
  return undefined;
}

function clean(p: MethodParam): MethodParam {
  for (const k of Object.keys(p) as Array<keyof MethodParam>) if (p[k] === undefined || p[k] === false) delete p[k];
  return p;
}

/** Doc params keyed by their last segment, for the keys of an object parameter (`opts.vx` or `vx`). */
function docKeys(doc: DocComment | null): Map<string, DocParam> {
  const keys = new Map<string, DocParam>();
  for (const [name, p] of doc?.params ?? []) {
    const dot = name.lastIndexOf('.');
    if (dot >= 0) keys.set(name.slice(dot + 1), p);
    else if (!keys.has(name)) keys.set(name, p);
  }
  return keys;
}

/** The keys of a method's one object parameter, or null when it takes no such object. */
function objectFields(p: ParsedParam, doc: DocComment | null, types: ReadonlyMap<string, string>): MethodParam[] | null {
  const keys = docKeys(doc);
  const members = p.type ? typeMembers(p.type, types) : null;
  const dotted = [...(doc?.params.keys() ?? [])].filter((n) => n.includes('.'));
  const wholeOptional = p.default !== undefined || !!p.question;
  const field = (name: string, def: string | undefined): MethodParam => {
    const member = members?.find((m) => m.name === name);
    const d = keys.get(name);
    return clean({
      name,
      type: member?.type ?? d?.type ?? inferType(def ?? d?.default),
      optional: wholeOptional || def !== undefined || !!member?.optional || !!d?.optional,
      default: def ?? d?.default,
      doc: d?.doc ?? (member?.doc ? parseDocComment(member.doc).description : undefined) ?? undefined,
    });
  };
  if (p.kind === 'object') {
    const out = (p.fields ?? []).map((f) => field(f.name, f.default));
    // `{ seconds, ...velocity }: Velocity & { seconds?: number }`: the rest's keys come from the type or the doc.
    if (p.hasRest) {
      for (const m of members ?? []) if (!out.some((o) => o.name === m.name)) out.push(field(m.name, undefined));
      for (const n of dotted) {
        const key = n.slice(n.lastIndexOf('.') + 1);
        if (!out.some((o) => o.name === key)) out.push(field(key, undefined));
      }
    }
    return out;
  }
  if (p.kind !== 'name' || p.rest) return null;
  if (members && members.length > 0) return members.map((m) => field(m.name, undefined));
  const own = dotted.filter((n) => n.startsWith(`${p.name}.`) && !n.slice(p.name.length + 1).includes('.'));
  if (own.length > 0) return own.map((n) => field(n.slice(p.name.length + 1), undefined));
  return null;
}

/** A method's info from its parameters (the source's when they match the loaded function, else the function's) and doc. */
export function methodInfo(method: string, params: readonly ParsedParam[], doc: DocComment | null, types: ReadonlyMap<string, string>): MethodInfo {
  const info: MethodInfo = { params: [], args: 'array' };
  if (doc?.description) info.doc = doc.description;
  if (HOOKS.has(method)) info.hook = true;
  const fields = params.length === 1 ? objectFields(params[0]!, doc, types) : null;
  if (fields) {
    info.params = fields;
    info.args = 'object';
    return info;
  }
  const positional = [...(doc?.params.keys() ?? [])].filter((n) => !n.includes('.'));
  info.params = params.map((p, i) => {
    const docName = positional[i];
    const name = p.kind === 'name' ? p.name : (docName ?? (p.kind === 'object' ? 'options' : 'values'));
    const d = doc?.params.get(p.kind === 'name' ? p.name : (docName ?? ''));
    return clean({
      name: p.rest ? `...${name}` : name,
      type: p.type ?? d?.type ?? inferType(p.default ?? d?.default),
      optional: !!p.question || p.default !== undefined || !!p.rest || !!d?.optional,
      default: p.default ?? d?.default,
      doc: d?.doc,
    });
  });
  return info;
}

/** `methods` for the start ack: every object's every callable method, described as well as the source allows. */
export async function describeMethods(table: ObjectTable, projectDir: string, entry: string): Promise<Record<string, Record<string, MethodInfo>>> {
  let index: Index = { methods: [], types: new Map() };
  try {
    index = await indexProject(projectDir, entry);
  } catch {
    // No source to read: bare names.
  }
  const byName = new Map<string, SourceMethod[]>();
  for (const m of index.methods) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  const out: Record<string, Record<string, MethodInfo>> = {};
  for (const { name: object, target, methods } of table.entries()) {
    const classes = classNames(target);
    out[object] = {};
    for (const method of methods) {
      let info: MethodInfo = { params: [], args: 'array', ...(HOOKS.has(method) ? { hook: true as const } : {}) };
      try {
        const fn = functionOf(target, method);
        let loaded: ParsedParam[] | null = null;
        try {
          loaded = fn ? paramsOfFunctionText(Function.prototype.toString.call(fn)) : null;
        } catch {
          // A Proxy or an exotic function: no text.
        }
        const candidates = byName.get(method) ?? [];
        const ranked = [
          ...candidates.filter((c) => classes.includes(c.container)),
          ...candidates.filter((c) => c.container === object),
          ...candidates,
        ];
        const match = loaded ? ranked.find((c) => sameShape(c.params, loaded!)) : ranked[0];
        const params = match?.params ?? loaded ?? [];
        info = methodInfo(method, params, match?.doc ? parseDocComment(match.doc) : null, index.types);
      } catch {
        // Keep the bare entry: describing a method must never fail a load.
      }
      out[object][method] = info;
    }
  }
  return out;
}
