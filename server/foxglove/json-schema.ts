/**
 * A JSON Schema for a robot event, inferred from the messages seen: types are unions of
 * what arrived (a field that was a number and then null is `["null", "number"]`), objects
 * gain the properties that appear, arrays describe their first items. Foxglove Studio uses
 * it to offer fields in its plot and message panels.
 *
 * `widen(schema, value)` returns the very same object when the value fits, so "did the
 * schema change" is one `!==`. Depth, properties and array items looked at are bounded:
 * a hostile or huge message costs a bounded walk, and past the bounds anything goes.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

const MAX_DEPTH = 6;
const MAX_PROPERTIES = 100;
const ITEMS_LOOKED_AT = 8;

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'bigint' ? 'number' : t; // number, string, boolean, object
}

function typesOf(s: JsonSchema): string[] {
  return s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
}

/** `schema` widened to admit `value` (the same object when it already does). */
export function widen(schema: JsonSchema | undefined, value: unknown, depth = 0): JsonSchema {
  const t = typeOf(value);
  let out: JsonSchema = schema ?? {};
  const types = typesOf(out);
  if (!types.includes(t)) {
    const all = [...types, t].sort();
    out = { ...out, type: all.length === 1 ? all[0]! : all };
  }
  if (depth >= MAX_DEPTH) return out;
  if (t === 'object') {
    let seen = 0;
    for (const key in value as Record<string, unknown>) {
      if (!Object.hasOwn(value as object, key)) continue;
      if (++seen > MAX_PROPERTIES) break;
      const before = out.properties?.[key];
      if (!before && Object.keys(out.properties ?? {}).length >= MAX_PROPERTIES) continue;
      const after = widen(before, (value as Record<string, unknown>)[key], depth + 1);
      if (after !== before) out = { ...out, properties: { ...out.properties, [key]: after } };
    }
  } else if (t === 'array') {
    const items = value as unknown[];
    let itemSchema = out.items;
    for (let i = 0; i < Math.min(items.length, ITEMS_LOOKED_AT); i++) itemSchema = widen(itemSchema, items[i], depth + 1);
    if (itemSchema !== out.items && itemSchema !== undefined) out = { ...out, items: itemSchema };
  }
  return out;
}

/** The schema as Foxglove wants it: a JSON string, with the draft named. */
export function schemaText(schema: JsonSchema, title: string): string {
  return JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', title, ...schema });
}
