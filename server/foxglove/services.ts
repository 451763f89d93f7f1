/**
 * The project's methods as Foxglove services, named `object.method` (as `robot-control
 * call object method` spells them). A request is the method's `args` as JSON: an object
 * is passed whole, an array is spread, an empty request or `null` means no arguments;
 * the response is the method's return value. Learned from each successful `start` (its
 * `objects`, and its per-method `params`/`doc` where the worker gives them).
 */
import type { MethodInfo, StartResult } from '../../ipc/protocol.js';
import type { FoxgloveServer } from './foxglove-server.js';

type MethodMeta = Partial<MethodInfo>;

export interface ServiceTarget {
  object: string;
  method: string;
}

const RESULT_SCHEMA = JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', description: "the method's return value" });

/** The request schema: args as an array (named after the params when known), an object, or nothing. */
export function argsSchema(object: string, method: string, meta: MethodMeta | undefined): string {
  const params = Array.isArray(meta?.params) ? meta.params.filter((p) => typeof p?.name === 'string') : [];
  const named = params.length > 0 ? ` (${params.map((p) => `${p.name}${p.optional ? '?' : ''}${p.type ? `: ${p.type}` : ''}`).join(', ')})` : '';
  return JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${object}.${method} args`,
    description: `${typeof meta?.doc === 'string' ? `${meta.doc}\n` : ''}${object}.${method}${named}: an object is passed whole, an array is spread, empty or null calls it with no arguments.`,
    anyOf: [
      { type: 'object' },
      params.length > 0 ? { type: 'array', prefixItems: params.map((p) => ({ title: p.name, ...(p.type ? { description: p.type } : {}) })) } : { type: 'array' },
      { type: 'null' },
    ],
  });
}

export class ServiceTable {
  private readonly byName = new Map<string, number>();
  private readonly byId = new Map<number, ServiceTarget>();

  constructor(private readonly server: FoxgloveServer) {}

  /** Advertise the project's methods: new ones added, gone ones removed, the rest kept. */
  setProject(project: StartResult): void {
    const wanted = new Map<string, ServiceTarget & { meta: MethodMeta | undefined }>();
    for (const [object, methods] of Object.entries(project.objects ?? {})) {
      if (!Array.isArray(methods)) continue;
      for (const method of methods) {
        if (typeof method === 'string') wanted.set(`${object}.${method}`, { object, method, meta: project.methods?.[object]?.[method] });
      }
    }
    for (const [name, id] of [...this.byName]) {
      if (wanted.has(name)) continue;
      this.byName.delete(name);
      this.byId.delete(id);
      this.server.removeService(id);
    }
    for (const [name, t] of wanted) {
      if (this.byName.has(name)) continue;
      const id = this.server.addService({
        name,
        type: 'robot-control/process',
        request: { encoding: 'json', schemaName: `${name}.args`, schemaEncoding: 'jsonschema', schema: argsSchema(t.object, t.method, t.meta) },
        response: { encoding: 'json', schemaName: `${name}.result`, schemaEncoding: 'jsonschema', schema: RESULT_SCHEMA },
      });
      this.byName.set(name, id);
      this.byId.set(id, { object: t.object, method: t.method });
    }
  }

  clear(): void {
    this.setProject({ type: 'javascript', entry: '', objects: {}, methods: {} });
  }

  target(id: number): ServiceTarget | undefined {
    return this.byId.get(id);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
