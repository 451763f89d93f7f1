/**
 * The depth and size measures every payload meets first (server/payload-shape.ts),
 * and the Socket.IO parser that prunes JSON nested past the limit before
 * JSON.parse sees it (server/socket-parser.ts). Properties over random JSON: a
 * value within the limit passes through untouched, one past it is cut to one level
 * past the limit, never deeper, and strings full of brackets and quotes never
 * confuse the scan.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkShape, pruneDeepJson } from '../../dist/server/payload-shape.js';
import { depthLimitedParser } from '../../dist/server/socket-parser.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { nestedJson } from './support.js';

/** Levels of arrays and objects, the value itself counting as one (0 for a scalar). */
function depthOf(root: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d);
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** JSON values whose strings are full of the characters the scan looks for. */
const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ',', ':', '\u0000', '💥'), maxLength: 12 });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'large', maxDepth: 12 }, tricky, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
})).value;

describe('pruneDeepJson', () => {
  it('keeps JSON within the limit exactly as it is, and cuts deeper JSON to one level past it', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 1, max: 12 }), (value, limit) => {
        const text = JSON.stringify(value);
        const pruned = pruneDeepJson(text, limit);
        const depth = depthOf(value);
        if (depth <= limit) {
          expect(pruned).toBe(text);
          return;
        }
        const parsed: unknown = JSON.parse(pruned);
        expect(depthOf(parsed)).toBe(limit + 1);
        expect(checkShape(parsed, { maxDepth: limit })).toMatchObject({ kind: 'depth', limit });
      }),
      fuzzParams(5000),
    );
  });

  it('cuts a million levels to the limit in one pass', () => {
    const pruned = pruneDeepJson(`["process",{"params":{"args":${nestedJson(1_000_000)}}}]`, 65);
    expect(pruned.length).toBeLessThan(300);
    expect(depthOf(JSON.parse(pruned))).toBe(66);
  });

  it('leaves unterminated text unparseable (it is refused as before, only sooner)', () => {
    expect(() => JSON.parse(pruneDeepJson(`["process",{"params":{"args":${'['.repeat(100_000)}`, 65))).toThrow();
    expect(() => JSON.parse(pruneDeepJson(`["a", "${'['.repeat(100)}`, 10))).toThrow();
  });
});

describe('checkShape', () => {
  it('measures any depth and size with a loop, and names the first two levels of the field', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 1, max: 12 }), (value, limit) => {
        const v = checkShape(value, { maxDepth: limit });
        if (depthOf(value) <= limit) expect(v).toBeNull();
        else expect(v).toMatchObject({ kind: 'depth', limit });
        const size = checkShape(value, { maxDepth: 100, maxBytes: JSON.stringify(value).length });
        expect(size, 'a lower bound: never more than the real size').toBeNull();
      }),
      fuzzParams(5000),
    );
    expect(checkShape(JSON.parse(`{"params":{"args":${nestedJson(200_000, 'object')}}}`), { maxDepth: 64 })).toEqual({ kind: 'depth', field: 'params.args', limit: 64 });
  });
});

describe('the depth-limited Socket.IO parser', () => {
  it('decodes a 1,000,000-level packet pruned, with its id and event intact', () => {
    const { Decoder } = depthLimitedParser(64);
    const decoder = new Decoder();
    const got: Array<{ id?: number; data: unknown[] }> = [];
    decoder.on('decoded', (p) => void got.push(p as { id?: number; data: unknown[] }));
    decoder.add(`27["process",{"params":{"object":"a[\\"b","method":"m","args":${nestedJson(1_000_000)}}}]`);
    expect(got).toHaveLength(1);
    expect(got[0]!.id).toBe(7);
    expect(got[0]!.data[0]).toBe('process');
    expect((got[0]!.data[1] as { params: { object: string } }).params.object).toBe('a["b');
    expect(depthOf(got[0]!.data[1])).toBe(65);
    expect(checkShape(got[0]!.data[1], { maxDepth: 64 })).toMatchObject({ field: 'params.args', limit: 64 });
  });
});
