/**
 * Schema inference for Foxglove channels, as properties over any JSON: the widened
 * schema admits every message it has seen, widening again by a seen message changes
 * nothing (the very same object: that is how "the schema changed" is detected), and it
 * never throws.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { widen, type JsonSchema } from '../../dist/server/foxglove/json-schema.js';
import { fuzzParams } from '../helpers/fuzz.js';

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Does `s` admit `v`? (Within the small shapes generated here, below every bound.) */
function admits(s: JsonSchema, v: unknown): boolean {
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  if (!types.includes(typeOf(v))) return false;
  if (typeOf(v) === 'object') return Object.entries(v as Record<string, unknown>).every(([k, x]) => s.properties?.[k] !== undefined && admits(s.properties[k]!, x));
  if (typeOf(v) === 'array') return (v as unknown[]).slice(0, 8).every((x) => s.items !== undefined && admits(s.items, x));
  return true;
}

const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 50));

it('admits every message seen, and is stable once it does', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.array(json, { minLength: 1, maxLength: 6 }), (messages) => {
      let schema: JsonSchema | undefined;
      for (const m of messages) schema = widen(schema, m);
      for (const m of messages) {
        expect(admits(schema!, m)).toBe(true);
        expect(widen(schema, m)).toBe(schema);
      }
    }),
    { ...fuzzParams(2000), interruptAfterTimeLimit: 15_000 },
  );
});
