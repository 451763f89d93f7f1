/**
 * Which objects and methods of a loaded module can be called. Only the project's
 * own: exported objects, their own methods and those of their classes, never
 * `constructor`, `__proto__`, `prototype`, `_private` names, or anything inherited
 * from a built-in prototype (Object.prototype's hasOwnProperty, toString, ...).
 */
import { EventEmitter } from 'node:events';
import { BrokerError } from '../ipc/errors.js';
import type { ProcessParams } from '../ipc/protocol.js';

const BUILTIN_PROTOTYPES: ReadonlySet<unknown> = new Set([
  Object.prototype, Function.prototype, Array.prototype, Map.prototype, Set.prototype,
  WeakMap.prototype, WeakSet.prototype, Promise.prototype, Error.prototype, Date.prototype,
  RegExp.prototype, EventEmitter.prototype, EventTarget.prototype,
]);
const NEVER_CALLABLE = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

function isCallableName(name: string): boolean {
  return !NEVER_CALLABLE.has(name) && !name.startsWith('_');
}

/** The callable method names of `obj`: own, then up its prototype chain until a built-in prototype. */
export function methodsOf(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && !BUILTIN_PROTOTYPES.has(o); o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      // Read the descriptor, never the property: a getter would run robot code.
      const desc = Object.getOwnPropertyDescriptor(o, name);
      if (desc && typeof desc.value === 'function' && isCallableName(name)) names.add(name);
    }
  }
  return [...names];
}

export class ObjectTable {
  private readonly objects = new Map<string, { target: object; methods: Set<string> }>();
  /** Module-level stop() (Python's `def stop()`, JavaScript's `export function stop()`). */
  private moduleStop: (() => unknown) | null = null;

  /** Build the table from a module namespace: named exports plus the properties of a default object. */
  static fromModule(namespace: Record<string, unknown>): ObjectTable {
    const table = new ObjectTable();
    const exported = new Map<string, unknown>(Object.entries(namespace).filter(([k]) => k !== 'default'));
    const fallback = namespace.default;
    if (fallback && typeof fallback === 'object') {
      for (const [k, v] of Object.entries(fallback)) if (!exported.has(k)) exported.set(k, v);
    }
    for (const [name, value] of exported) {
      if (name === 'stop' && typeof value === 'function') table.moduleStop = value as () => unknown;
      else if (value && typeof value === 'object' && isCallableName(name)) {
        table.objects.set(name, { target: value, methods: new Set(methodsOf(value)) });
      }
    }
    return table;
  }

  /** Each object with its target and callable methods, for describing them (method-info/). */
  entries(): Array<{ name: string; target: object; methods: string[] }> {
    return [...this.objects].map(([name, { target, methods }]) => ({ name, target, methods: [...methods] }));
  }

  listing(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, { methods }] of this.objects) out[name] = [...methods];
    return out;
  }

  call(object: string, method: string, args: ProcessParams['args']): unknown {
    const entry = this.objects.get(object);
    if (!entry) {
      throw new BrokerError('E_UNKNOWN_OBJECT', `no object "${object}" in the project`, { object, objects: [...this.objects.keys()] });
    }
    if (!entry.methods.has(method)) {
      throw new BrokerError('E_UNKNOWN_METHOD', `"${object}" has no method "${method}"`, { object, method, methods: [...entry.methods] });
    }
    const fn = (entry.target as Record<string, (...a: unknown[]) => unknown>)[method]!;
    if (args === undefined || args === null) return fn.call(entry.target);
    if (Array.isArray(args)) return fn.apply(entry.target, args);
    return fn.call(entry.target, args);
  }

  /** Call every stop() hook, each within what is left of `timeoutMs`. Errors are reported, not thrown. */
  async stop(timeoutMs: number, onError: (hook: string, err: unknown) => void): Promise<string[]> {
    const hooks: Array<[string, () => unknown]> = [];
    for (const [name, { target, methods }] of this.objects) {
      if (methods.has('stop')) hooks.push([`${name}.stop`, () => (target as { stop: () => unknown }).stop()]);
    }
    if (this.moduleStop) hooks.push(['stop', this.moduleStop]);
    const deadline = Date.now() + timeoutMs;
    const ran: string[] = [];
    for (const [name, hook] of hooks) {
      try {
        await withDeadline(Promise.resolve().then(hook), deadline - Date.now(), name);
      } catch (err) {
        onError(name, err);
      }
      ran.push(name);
    }
    return ran;
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerError('E_TIMEOUT', `${what} did not finish in time`)), Math.max(ms, 0));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
