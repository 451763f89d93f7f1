/**
 * The args form: one field per parameter of the picked method, from the start ack's
 * `methods` (names, types, defaults and docs drawn from the robot's source). The
 * JSON editor stays the truth: the form writes it as you type, and a JSON edit fills
 * the form back, so history, memory and presets keep working on the JSON text.
 */
import type { MethodInfo, MethodParam } from '#protocol';
import { h } from './dom.js';

type Kind = 'number' | 'boolean' | 'string' | 'json';

/** What input a declared type gets: TypeScript, JSDoc and Python names alike. */
export function kindOf(type: string | undefined): Kind {
  const t = (type ?? '').trim().toLowerCase();
  if (/^(number|float|int|integer|double|bigint)$/.test(t)) return 'number';
  if (/^(boolean|bool)$/.test(t)) return 'boolean';
  if (/^(string|str)$/.test(t) || /^(['"]).*\1(\s*\|\s*(['"]).*\3)*$/.test(t)) return 'string';
  return 'json';
}

/**
 * A default as written in JavaScript, TypeScript or Python (`0`, `'walk'`, `True`,
 * `None`, `[]`) as a JSON value; undefined when it is an expression, not a literal.
 */
export function literal(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const t = text.trim();
  const words: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
  if (Object.hasOwn(words, t)) return words[t];
  const quoted = /^'((?:[^'\\]|\\.)*)'$/.exec(t) ?? /^`([^`$]*)`$/.exec(t);
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1');
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

/** The args a method gets with nothing filled in but its defaults: the JSON template. */
export function template(info: MethodInfo): string {
  if (info.params.length === 0) return '';
  if (info.args === 'object') {
    const o: Record<string, unknown> = {};
    for (const p of info.params) {
      const v = literal(p.default);
      if (v !== undefined) o[p.name] = v;
    }
    return JSON.stringify(o);
  }
  const values = info.params.filter((p) => !p.name.startsWith('...') && !p.name.startsWith('*')).map((p) => literal(p.default) ?? null);
  while (values.length > 0 && values[values.length - 1] === null) values.pop();
  return values.length ? JSON.stringify(values) : '';
}

/** One field: a label with the name and type, the input, and the doc as a hint. */
interface Field {
  param: MethodParam;
  kind: Kind;
  input: HTMLInputElement | HTMLSelectElement;
}

export class MethodForm {
  private fields: Field[] = [];
  private info: MethodInfo | null = null;

  constructor(
    private readonly box: HTMLElement,
    /** The form changed: the JSON it makes. */
    private readonly onChange: (json: string) => void,
  ) {}

  /** Build the form for a method (null: none picked, or a broker without `methods`). */
  show(info: MethodInfo | null): void {
    this.info = info;
    this.fields = [];
    this.box.replaceChildren();
    this.box.hidden = !info || info.params.length === 0;
    if (!info) return;
    for (const param of info.params) {
      const kind = kindOf(param.type);
      const id = `arg-${param.name.replace(/[^\w-]/g, '_')}`;
      const input = kind === 'boolean' ? booleanSelect(param) : textInput(param, kind);
      input.id = id;
      input.dataset.param = param.name;
      input.addEventListener('input', () => this.onChange(this.json()));
      input.addEventListener('change', () => this.onChange(this.json()));
      this.fields.push({ param, kind, input });
      this.box.append(
        h(
          'div',
          { class: 'arg-row', data: { param: param.name } },
          labelFor(id, param),
          input,
          param.doc ? h('small', { class: 'arg-doc', text: param.doc }) : '',
        ),
      );
    }
  }

  /** Fill the fields from the JSON editor's value (an object, or an array for positional args). */
  fill(args: unknown): void {
    if (!this.info) return;
    const byName = !Array.isArray(args) && args !== null && typeof args === 'object' ? (args as Record<string, unknown>) : null;
    const byIndex = Array.isArray(args) ? args : null;
    this.fields.forEach((f, i) => {
      const v = byName ? byName[f.param.name] : byIndex ? byIndex[i] : undefined;
      const text = v === undefined || v === null ? '' : f.kind === 'string' && typeof v === 'string' ? v : JSON.stringify(v);
      if (f.input.value !== text && document.activeElement !== f.input) f.input.value = text;
    });
  }

  /** The args the fields make, as JSON: filled fields only (positional: up to the last filled one). */
  json(): string {
    if (!this.info) return '';
    const values = this.fields.map((f) => valueOf(f));
    if (this.info.args === 'object') {
      const o: Record<string, unknown> = {};
      this.fields.forEach((f, i) => {
        if (values[i] !== undefined) o[f.param.name] = values[i];
      });
      return JSON.stringify(o);
    }
    let last = values.length - 1;
    while (last >= 0 && values[last] === undefined) last--;
    if (last < 0) return '';
    // A gap before a filled field: the default when it is a literal, else null.
    return JSON.stringify(values.slice(0, last + 1).map((v, i) => (v === undefined ? (literal(this.fields[i]!.param.default) ?? null) : v)));
  }

  /** Required parameters left empty, for the hint. */
  missing(): string[] {
    return this.fields.filter((f) => !f.param.optional && valueOf(f) === undefined).map((f) => f.param.name);
  }
}

function valueOf(f: Field): unknown {
  const raw = f.input.value.trim();
  if (raw === '') return undefined;
  if (f.kind === 'boolean') return raw === 'true';
  if (f.kind === 'number') {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  if (f.kind === 'string') return f.input.value;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw; // not JSON: sent as text, and the robot says what it thinks of it
  }
}

function labelFor(id: string, p: MethodParam): HTMLLabelElement {
  const label = h('label', { class: 'arg-label', title: p.doc ?? '' }, h('span', { class: 'arg-name', text: p.name }));
  label.htmlFor = id;
  if (!p.optional) label.append(h('span', { class: 'arg-required', text: '*', title: 'required' }));
  if (p.type) label.append(h('span', { class: 'arg-type', text: p.type }));
  return label;
}

function textInput(p: MethodParam, kind: Kind): HTMLInputElement {
  const input = h('input', { class: 'arg-input' });
  input.type = kind === 'number' ? 'number' : 'text';
  if (kind === 'number') input.step = 'any';
  input.spellcheck = false;
  input.autocomplete = 'off';
  input.placeholder = p.default !== undefined ? `default ${p.default}` : kind === 'json' ? 'JSON' : p.optional ? 'optional' : 'required';
  return input;
}

function booleanSelect(p: MethodParam): HTMLSelectElement {
  const select = h('select', { class: 'arg-input' });
  select.append(h('option', { text: p.default !== undefined ? `default ${p.default}` : '—' }), h('option', { text: 'true' }), h('option', { text: 'false' }));
  (select.firstElementChild as HTMLOptionElement).value = '';
  return select;
}
