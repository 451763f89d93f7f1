/**
 * The method-signature reader (worker/method-info/) on its own: source in, methods
 * with their parameters, types and docs out. The broker-level tests (twins, default
 * robot) check the same through a real start ack.
 */
import { describe, expect, it } from 'vitest';
import { methodInfo } from '../../dist/worker/method-info/index.js';
import { parseDocComment } from '../../dist/worker/method-info/jsdoc.js';
import { paramsOfFunctionText } from '../../dist/worker/method-info/params.js';
import { indexSource, typeMembers } from '../../dist/worker/method-info/source-index.js';

/** The info of `container.name` as the reader sees it in `src`. */
function info(src: string, name: string, container?: string) {
  const index = indexSource(src);
  const m = index.methods.find((x) => x.name === name && (container === undefined || x.container === container));
  if (!m) throw new Error(`no method ${name} in ${JSON.stringify(index.methods.map((x) => `${x.container}.${x.name}`))}`);
  return methodInfo(name, m.params, m.doc ? parseDocComment(m.doc) : null, index.types);
}

describe('method signatures from JavaScript', () => {
  it('a destructured object parameter with JSDoc: its keys, defaults, types and docs; args as one object', () => {
    const src = `
class SportClient {
  /**
   * Start moving until StopMove.
   * @param {object} [v] body-frame velocity
   * @param {number} [v.vx=0] forward, m/s
   * @param {number} [v.vyaw] turn rate, rad/s
   */
  Move({ vx = 0, vy = 0, vyaw = 0 } = {}) { return { vx, vy, vyaw }; }
}`;
    expect(info(src, 'Move', 'SportClient')).toEqual({
      args: 'object',
      doc: 'Start moving until StopMove.',
      params: [
        { name: 'vx', type: 'number', optional: true, default: '0', doc: 'forward, m/s' },
        { name: 'vy', type: 'number', optional: true, default: '0' },
        { name: 'vyaw', type: 'number', optional: true, default: '0', doc: 'turn rate, rad/s' },
      ],
    });
  });

  it('positional parameters, rest, and a JSDoc-only object parameter', () => {
    const src = `exports.rover = {
  /** Add two numbers. @param {number} a first @param {number} [b=1] second */
  Add(a, b = 1) { return a + b; },
  Log(level, ...parts) {},
  /** @param {Object} opts @param {string} opts.name who @param {boolean} [opts.loud] shout */
  Greet(opts) {},
  stop() {},
};`;
    expect(info(src, 'Add', 'rover')).toMatchObject({ args: 'array', params: [{ name: 'a', type: 'number', doc: 'first' }, { name: 'b', optional: true, default: '1', type: 'number' }] });
    expect(info(src, 'Log').params).toEqual([{ name: 'level' }, { name: '...parts', optional: true }]);
    expect(info(src, 'Greet')).toMatchObject({ args: 'object', params: [{ name: 'name', type: 'string', doc: 'who' }, { name: 'loud', type: 'boolean', optional: true }] });
    expect(info(src, 'stop')).toEqual({ args: 'array', params: [], hook: true });
  });

  it('arrow and function-valued properties, async, generators, getters skipped', () => {
    const src = `class R {
  /** Turn. */ turn = (deg, fast = false) => deg;
  spin = async x => x;
  static async *scan(from, to) {}
  get speed() { return 1; }
}
const o = { go: function (where) {}, hop: async (n) => n };`;
    expect(info(src, 'turn').params).toEqual([{ name: 'deg' }, { name: 'fast', type: 'boolean', optional: true, default: 'false' }]);
    expect(info(src, 'turn').doc).toBe('Turn.');
    expect(info(src, 'spin').params).toEqual([{ name: 'x' }]);
    expect(info(src, 'scan').params.map((p) => p.name)).toEqual(['from', 'to']);
    expect(info(src, 'go', 'o').params).toEqual([{ name: 'where' }]);
    expect(info(src, 'hop', 'o').params).toEqual([{ name: 'n' }]);
  });

  it('is not fooled by braces and parens in strings, templates, regexes and comments', () => {
    const src = `class Tricky {
  a() { const s = "}{)("; const t = \`\${ { x: '}' }.x }\`; const r = /[}{]\\)/g; /* } */ return s + t + r; }
  // ) not a method: b(
  /** The one after. */
  b(x = '(', y = \`)\`) { return x / 2 / y; }
}`;
    expect(info(src, 'b', 'Tricky')).toEqual({ args: 'array', doc: 'The one after.', params: [{ name: 'x', type: 'string', optional: true, default: "'('" }, { name: 'y', type: 'string', optional: true, default: '`)`' }] });
  });
});

describe('method signatures from TypeScript', () => {
  const src = `
interface Velocity {
  /** forward, m/s */
  vx?: number
  vy?: number; vyaw?: number
}
type Mode = 'walk' | 'trot';
type Timed = Velocity & { seconds?: number };
export class Robot {
  constructor(private readonly name: string) {}
  /** Move at a velocity. */
  public move({ vx = 0, vy, vyaw }: Velocity = {}): void {}
  moveFor({ seconds = 1, ...velocity }: Timed = {}): Promise<void> { return Promise.resolve(); }
  configure(settings: Partial<{ speed: number; mode: Mode }>): void {}
  add(a: number, b?: number, this_: Array<Map<string, number>> = []): number { return a; }
  typed(this: Robot, cb: (a: number, b: string) => void, opts?: { x: number }): void {}
}`;

  it('expands a typed destructured parameter into the interface keys, with their docs', () => {
    expect(info(src, 'move')).toEqual({
      args: 'object',
      doc: 'Move at a velocity.',
      params: [
        { name: 'vx', type: 'number', optional: true, default: '0', doc: 'forward, m/s' },
        { name: 'vy', type: 'number', optional: true },
        { name: 'vyaw', type: 'number', optional: true },
      ],
    });
  });

  it('a rest pattern takes its other keys from an intersection type; Partial<> makes keys optional', () => {
    expect(info(src, 'moveFor').params.map((p) => [p.name, p.default ?? ''])).toEqual([['seconds', '1'], ['vx', ''], ['vy', ''], ['vyaw', '']]);
    expect(info(src, 'configure')).toMatchObject({ args: 'object', params: [{ name: 'speed', type: 'number', optional: true }, { name: 'mode', type: 'Mode', optional: true }] });
  });

  it('keeps types with commas, arrows and generics whole; `this:` is not a parameter', () => {
    expect(info(src, 'add').params).toEqual([
      { name: 'a', type: 'number' },
      { name: 'b', type: 'number', optional: true },
      { name: 'this_', type: 'Array<Map<string, number>>', optional: true, default: '[]' },
    ]);
    expect(info(src, 'typed').params).toEqual([
      { name: 'cb', type: '(a: number, b: string) => void' },
      { name: 'opts', type: '{ x: number }', optional: true },
    ]);
  });

  it('reads object types declared with members on separate lines', () => {
    expect(typeMembers('Timed', indexSource(src).types)?.map((m) => m.name)).toEqual(['vx', 'vy', 'vyaw', 'seconds']);
  });
});

describe('parameters of a loaded function (V8 text)', () => {
  it('reads every shape Function.prototype.toString gives', () => {
    class K {
      m({ a = 1, b: { c } = { c: 2 } }: { a?: number; b?: { c: number } } = {}, [d]: number[] = [], ...rest: unknown[]) {
        return [a, c, d, rest];
      }
    }
    const names = (f: unknown) => paramsOfFunctionText(Function.prototype.toString.call(f))?.map((p) => p.name || p.kind);
    expect(names(K.prototype.m)).toEqual(['object', 'array', 'rest']);
    expect(paramsOfFunctionText(Function.prototype.toString.call(K.prototype.m))![0]!.fields!.map((f) => [f.name, f.default])).toEqual([['a', '1'], ['b', '{ c: 2 }']]);
    expect(names((x: number) => x)).toEqual(['x']);
    expect(names(async function named(a: number, b: number) { return a + b; })).toEqual(['a', 'b']);
    expect(names(Math.max)).toEqual([]);
    expect(names(function () {}.bind(null))).toEqual([]);
  });
});
