/**
 * ZIP archives, fuzzed (fast-check): entry names, sizes, flags, methods, modes,
 * CRCs, local headers that lie, data descriptors, and random byte flips, built as
 * real ZIP bytes. Thousands go through the real unpack function: each is unpacked
 * whole, inside its folder, with the sizes it declares, or refused with a ZIP code
 * having written nothing. A sample goes through a real broker's `update`: after
 * each, the previous project answers and storage holds nothing stray.
 */
import { lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError } from '../../dist/ipc/errors.js';
import { unpackZip } from '../../dist/server/storage/unpack.js';
import { call, callMethod, tempDir, type Client, type TestBroker } from '../helpers/broker.js';
import { fuzzParams, sampledRuns, soaking } from '../helpers/fuzz.js';
import { expectOnlyBrokerFiles, installProbe, startZipBroker, walk } from '../zip-safety/support.js';
import { buildZip, type RawEntry } from '../zip-safety/zip-bytes.js';
import { tracked } from './support.js';

const LIMITS = { maxUnpackedBytes: 64 * 1024, maxEntries: 20 };
/** The codes a refused archive may carry: anything else (E_INTERNAL, a raw Error) is a bug. */
const ZIP_CODES = ['E_INVALID_ZIP', 'E_UNSAFE_ZIP', 'E_ZIP_LIMIT'];
/** npm test stops each property here (a pass: how many ran is printed, never asserted); the soak must run every case. */
const TIME_LIMIT_MS = soaking ? 3_000_000 : 6000;

// ---------------------------------------------------------------- archives

const name = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('main.js', 'lib/a.js', 'lib/', 'a/b/c.txt', 'data.bin', 'README.md', 'x/', 'x/y') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '../escaped', '../../escaped', 'a/../../escaped', '/abs', '//host/share', 'C:/x', 'C:\\x', 'a\\..\\b', '', '.', './', './a', 'a//b',
      'a/./b', 'x\u0000y', 'lib', 'lib/a.js/', '..', 'a/..', '__MACOSX/._main.js', '.DS_Store', 'é', 'e\u0301', '\u202egnp.js', '💥/💥',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 1100 }).map((n) => 'n'.repeat(n)) },
);
/** `arb` one time in `every`, else absent: an honest archive is the common case, each lie an exception. */
function sometimes<T>(arb: fc.Arbitrary<T>, every = 12): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}
const MODES = [0o100644, 0o100755, 0o040755, 0o120777, 0o020666, 0o060660, 0o010644, 0o140755, 0, 0o170000];
const entry: fc.Arbitrary<RawEntry> = fc
  .record({
    name,
    data: fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.integer({ min: 0, max: 12_000 }).map((n) => Buffer.alloc(n, 7))),
    method: sometimes(fc.constantFrom(0, 8, 1, 12, 14, 99), 4),
    unixMode: sometimes(fc.constantFrom(...MODES), 4),
    declaredSize: sometimes(fc.nat({ max: 100_000 })),
    flags: sometimes(fc.constantFrom(1, 8, 0x800, 0x809, 0x40)),
    local: sometimes(
      fc.record(
        {
          size: fc.nat({ max: 100_000 }),
          compressedSize: fc.nat({ max: 100_000 }),
          crc: fc.nat({ max: 0xffffffff }),
          method: fc.constantFrom(0, 8, 12),
          flags: fc.constantFrom(0, 1, 8),
          name,
        },
        { requiredKeys: [] },
      ),
    ),
    descriptor: sometimes(fc.constant(true), 6),
  })
  // Drop the absent fields (buildZip reads `undefined` as "given"), and keep unknown methods' data short.
  .map((e) => {
    const out = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as RawEntry;
    return e.method !== undefined && e.method !== 0 && e.method !== 8 ? { ...out, data: (out.data as Buffer).subarray(0, 50) } : out;
  });

interface Mutation {
  readonly at: number;
  readonly byte: number;
}
const archive = fc.record({
  entries: fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 8 }),
  declaredEntries: sometimes(fc.nat({ max: 70_000 })),
  flips: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.record({ at: fc.nat(), byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 3 }) }),
  cut: sometimes(fc.nat()),
});

function bytesOf(a: { entries: RawEntry[]; declaredEntries?: number | undefined; flips: readonly Mutation[]; cut?: number | undefined }, first: RawEntry[] = []): Buffer {
  const zip = buildZip([...first, ...a.entries], a.declaredEntries === undefined ? {} : { declaredEntries: a.declaredEntries });
  for (const f of a.flips) zip[f.at % zip.length] = f.byte;
  return a.cut === undefined ? zip : zip.subarray(0, a.cut % (zip.length + 1));
}

// ---------------------------------------------------------------- the unpack function

describe('the unpack function, fuzzed', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('rc-zipfuzz-');
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('unpacks whole and inside its folder, or refuses with a ZIP code having written nothing', async () => {
    let cases = 0;
    let unpacked = 0;
    const started = performance.now();
    type Archive = Parameters<typeof bytesOf>[0];
    const property = tracked(async (a: Archive) => {
      const target = join(root, 'project');
      mkdirSync(target);
      try {
        let result: { files: number; bytes: number } | undefined;
        try {
          result = await unpackZip(bytesOf(a), target, LIMITS);
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(BrokerError);
          expect(ZIP_CODES, (err as Error).message).toContain((err as BrokerError).code);
          expect(readdirSync(target), `${(err as Error).message}: nothing may be written`).toEqual([]);
        }
        if (result) {
          unpacked++;
          let files = 0;
          let bytes = 0;
          for (const p of walk(target)) {
            const st = lstatSync(join(target, p));
            expect(st.isFile() || st.isDirectory(), `${p} is a file or a folder, never a link or a device`).toBe(true);
            expect(relative(target, join(target, p)).startsWith('..')).toBe(false);
            if (st.isFile()) {
              files++;
              bytes += st.size;
            }
          }
          expect({ files, bytes }).toEqual(result);
          expect(bytes).toBeLessThanOrEqual(LIMITS.maxUnpackedBytes);
        }
        // Nothing anywhere else under the sandbox: no entry climbed out.
        expect(readdirSync(root)).toEqual(['project']);
      } finally {
        rmSync(target, { recursive: true, force: true });
      }
      cases++;
    });
    await fc.assert(fc.asyncProperty(archive, property.run), { ...fuzzParams(3000), plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS, { failOnInterrupt: soaking })] });
    await property.idle();
    console.log(`[fuzz] unpack: ${cases} archives (${unpacked} unpacked) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 3_600_000);
});

// ---------------------------------------------------------------- through the broker

describe('a sample through the broker', () => {
  let t: TestBroker;
  let c: Client;
  /** The probe installProbe() put there: every fuzzed archive starts with it, so one that is accepted changes nothing. */
  const PROBE: RawEntry = { name: 'main.js', data: 'exports.probe = { version: () => "v1", add: (a, b) => a + b };\n' };
  beforeAll(async () => {
    t = await startZipBroker({ max_unpacked_bytes: LIMITS.maxUnpackedBytes, max_zip_entries: LIMITS.maxEntries });
    c = await t.connect();
    await installProbe(c, 'v1');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every upload is answered with success or a coded error; the previous project answers after each', async () => {
    let cases = 0;
    const started = performance.now();
    const property = tracked(async (a: Parameters<typeof bytesOf>[0]) => {
      const r = await call(c, 'update', { data: bytesOf(a, [PROBE]) });
      if (r.status === 'error') expect([...ZIP_CODES, 'E_NO_ENTRY', 'E_PROJECT_LOAD'], r.message).toContain(r.data.code);
      expect((await callMethod(c, 'probe', 'version')).data).toBe('v1');
      cases++;
    });
    await fc.assert(fc.asyncProperty(archive, property.run), {
      ...fuzzParams(60),
      // A sample: each accepted upload restarts the worker. The 100k soak is the unpack function's.
      numRuns: sampledRuns(60, 2000),
      plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS, { failOnInterrupt: soaking })],
    });
    await property.idle();
    console.log(`[fuzz] update: ${cases} archives in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(((await call(c, 'start', {})).data as { objects: Record<string, string[]> }).objects.probe).toEqual(expect.arrayContaining(['version', 'add']));
    await expectOnlyBrokerFiles(t);
  }, 3_600_000);
});
