/**
 * Unpacking ahead, fuzzed (fast-check): random archives (stored and deflated entries,
 * folders, unsafe and look-alike names, data descriptors, local headers that lie,
 * entries the central directory does not list, limits passed; sometimes a file past the
 * end records' window, whose data the plan then reads without), random bytes broken,
 * arriving in random pieces: unpacking them ahead must give exactly what unpacking them
 * whole gives (server/storage/unpack-ahead.ts), the same files and modes or the same
 * error code and details.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { unpackZip } from '../../dist/server/storage/unpack.js';
import { fuzzParams, soaking } from '../helpers/fuzz.js';
import { outcome, unpackAhead } from './ahead-support.js';
import { buildZip, type RawEntry } from './zip-bytes.js';

const names = ['main.js', 'a.txt', 'b.txt', 'lib/b.js', 'lib/', 'lib/c/d.bin', 'lib/e.txt', 'f/g/h.txt', 'lib', './a.txt', 'x//y.txt', '../up.txt', '/abs.txt'];
const entry: fc.Arbitrary<RawEntry> = fc
  .record({
    name: fc.constantFrom(...names),
    data: fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.tuple(fc.string({ maxLength: 8 }), fc.nat(400)).map(([s, n]) => s.repeat(n))),
    method: fc.constantFrom(0, 8),
    executable: fc.boolean(),
    odd: fc.oneof(
      { weight: 20, arbitrary: fc.constant(null) },
      fc.constantFrom('descriptor', 'hidden', 'declared', 'local-size', 'local-crc', 'local-name', 'local-compressed'),
    ),
  })
  .map(({ name, data, method, executable, odd }) => {
    const e: RawEntry = { name, data: Buffer.from(data), method, unixMode: name.endsWith('/') ? 0o040755 : executable ? 0o100755 : 0o100644 };
    if (odd === 'descriptor') e.descriptor = true;
    if (odd === 'hidden') e.hidden = true;
    if (odd === 'declared') e.declaredSize = Math.max(0, e.data!.length - 1);
    if (odd === 'local-size') e.local = { size: e.data!.length + 1 };
    if (odd === 'local-crc') e.local = { crc: 12345 };
    if (odd === 'local-name') e.local = { name: 'other.txt' };
    if (odd === 'local-compressed') e.local = { compressedSize: 1 };
    return e;
  });
/** A file big enough to reach past the end records' window (64 KiB): its data, written ahead, is left out of the plan. */
const big: fc.Arbitrary<RawEntry | null> = fc.option(
  fc.record({ size: fc.integer({ min: 70_000, max: 140_000 }), seed: fc.nat(250), method: fc.constantFrom(0, 8) }).map(({ size, seed, method }) => ({
    name: 'big.bin',
    data: Buffer.from(Array.from({ length: size }, (_, i) => (i * (seed + 1) + (i >> 9)) & 0xff)),
    method,
  })),
  { freq: 3 },
);
const seen = { cases: 0, unpacked: 0, refused: new Map<string, number>() };

it('any archive, broken anywhere, in any pieces: the same outcome as unpacking it whole', { timeout: soaking ? 3_600_000 : 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(entry, { minLength: 1, maxLength: 6, selector: (e) => e.name }),
      fc.tuple(big, fc.nat()),
      fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 2 })),
      fc.array(fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 40_000 })), { minLength: 1, maxLength: 5 }),
      fc.record({ maxEntries: fc.integer({ min: 3, max: 12 }), maxUnpackedBytes: fc.integer({ min: 2000, max: 40_000 }) }),
      async (small, [large, at], flips, sizes, smallLimits) => {
        const entries = large ? [...small.slice(0, at % (small.length + 1)), large, ...small.slice(at % (small.length + 1))] : small;
        const limits = { ...smallLimits, maxUnpackedBytes: smallLimits.maxUnpackedBytes + (large ? Buffer.byteLength(large.data!) : 0) };
        const zip = buildZip(entries);
        for (const { at, xor } of flips) zip[at % zip.length]! ^= xor;
        const whole = (await outcome((t) => unpackZip(zip, t, limits))) as { code?: string };
        expect(await outcome((t) => unpackAhead(zip, sizes, t, limits))).toEqual(whole);
        seen.cases++;
        if (whole.code === undefined) seen.unpacked++;
        else seen.refused.set(whole.code, (seen.refused.get(whole.code) ?? 0) + 1);
      },
    ),
    fuzzParams(300),
  );
  process.stdout.write(`[fuzz] unpack ahead: ${seen.cases} archives, ${seen.unpacked} unpacked, refused ${JSON.stringify(Object.fromEntries(seen.refused))}\n`);
  expect(seen.unpacked).toBeGreaterThan(0);
  expect(seen.refused.size).toBeGreaterThan(2);
});
