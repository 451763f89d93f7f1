/**
 * Size and entry-count limits, enforced by the real worker whatever the headers
 * declare: an honest 1.2 GiB bomb is refused from its headers (E_ZIP_LIMIT); a lying
 * one is stopped at its declared size while inflating (E_UNSAFE_ZIP: its size is
 * not what it declares); headers patched to lie, bombs spread over many entries,
 * entry-count bombs, and the configured limits at their exact boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { buildZip, zeroBomb, type RawEntry } from './zip-bytes.js';
import { bytesWritten, expectOnlyBrokerFiles, expectRefused, installProbe, peakRss, walk, workerPid, startZipBroker, type ErrorData } from './support.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MAIN: RawEntry = { name: 'main.js', data: 'exports.bomb = { boom: () => "boom" };\n' };

describe('default limits (1 GiB, 10,000 entries)', () => {
  let t: TestBroker;
  let c: Client;
  // 1.2 GiB of zeros, deflated to ~1.2 MB; built once without ever holding the 1.2 GiB.
  const bomb = zeroBomb(1229 * MiB);
  beforeAll(async () => {
    t = await startZipBroker();
    c = await t.connect();
    await installProbe(c, 'v1');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the bomb is what it claims: ~1 MB that inflates past 1.2 GiB', () => {
    expect(bomb.bytes.length).toBeLessThan(2 * MiB);
    expect(bomb.size).toBeGreaterThan(1.2 * GiB);
    expect(t.config.worker.max_unpacked_bytes).toBe(GiB);
    expect(t.config.worker.max_zip_entries).toBe(10_000);
  });

  it('refuses a 1.2 GiB bomb whose headers tell the truth, from the headers alone', async () => {
    const r = await expectRefused(t, c, buildZip([MAIN, { name: 'zeros.bin', raw: bomb }]), 'E_ZIP_LIMIT', 'v1');
    expect(r.data).toMatchObject({ limit: GiB, entry: 'zeros.bin' });
  });

  it('refuses a 1.2 GiB bomb whose headers claim 1 KB, at its declared size: no disk written, server memory sane, same worker', async () => {
    const pid = workerPid(t);
    const writtenBefore = bytesWritten(process.pid);
    const zip = buildZip([MAIN, { name: 'zeros.bin', raw: bomb, declaredSize: 1000 }]);
    const r = await expectRefused(t, c, zip, 'E_UNSAFE_ZIP', 'v1');
    expect(r.data).toMatchObject({ entry: 'zeros.bin', declared: 1000, reason: expect.stringMatching(/declare 1000 bytes; the data inflates to more/) });
    // The server unpacks (in a thread of its own; this test's process runs the broker). It stopped
    // inflating one chunk past the declared 1 KB and wrote (files, logs) only a few KB.
    expect(bytesWritten(process.pid) - writtenBefore).toBeLessThan(4 * MiB);
    // Inflating streams through a counter: nothing near the 1 GiB is ever held.
    expect(peakRss(process.pid)).toBeLessThan(600 * MiB);
    expect(workerPid(t)).toBe(pid);
    await expectOnlyBrokerFiles(t);
  });

  it('refuses the same bomb spread over three lying entries, at the first lie', async () => {
    const third = zeroBomb(410 * MiB);
    const zip = buildZip([MAIN, ...[1, 2, 3].map((i) => ({ name: `part${i}.bin`, raw: third, declaredSize: 10 }))]);
    const r = await expectRefused(t, c, zip, 'E_UNSAFE_ZIP', 'v1');
    expect(r.data).toMatchObject({ entry: 'part1.bin', declared: 10 });
  });

  it('refuses three honest entries that together pass 1 GiB, from their headers (the limit is for the whole archive)', async () => {
    const third = zeroBomb(410 * MiB);
    const zip = buildZip([MAIN, ...[1, 2, 3].map((i) => ({ name: `part${i}.bin`, raw: third }))]);
    const r = await expectRefused(t, c, zip, 'E_ZIP_LIMIT', 'v1');
    expect(r.data).toMatchObject({ limit: GiB, entry: 'part3.bin' });
  });

  // In pieces the broker writes ahead the first 10,000 entries (empty files) and removes
  // them once the archive's end has been read and refused, twice. 11-13 s quiet, 20-22 s
  // beside two busy loops, once over 30 s (ci125): a deadline for a loaded machine.
  it('refuses 10,001 entries, and a 65,535-entry bomb before parsing its entries', { timeout: 120_000 }, async () => {
    const entries = (n: number): RawEntry[] => [MAIN, ...Array.from({ length: n - 1 }, (_, i) => ({ name: `f/${i}`, data: '' }))];
    const r = await expectRefused(t, c, buildZip(entries(10_001)), 'E_ZIP_LIMIT', 'v1');
    expect(r.data).toMatchObject({ entries: 10_001, limit: 10_000 });
    const big = await expectRefused(t, c, buildZip(entries(65_535)), 'E_ZIP_LIMIT', 'v1');
    expect(big.data).toMatchObject({ entries: 65_535 });
  });

  it('refuses an end record that claims more entries than the file can hold', async () => {
    await expectRefused(t, c, buildZip([MAIN], { declaredEntries: 9_000 }), 'E_INVALID_ZIP', 'v1');
  });

  it('after the bombs: nothing left behind and the next update works', async () => {
    await expectOnlyBrokerFiles(t);
    await installProbe(c, 'v2');
  });
});

/** The offsets of every local (PK\3\4) and central (PK\1\2) header in an archive. */
function headers(zip: Buffer): { local: number[]; central: number[] } {
  const find = (sig: number[]): number[] => {
    const out: number[] = [];
    for (let i = zip.indexOf(Buffer.from(sig)); i >= 0; i = zip.indexOf(Buffer.from(sig), i + 4)) out.push(i);
    return out;
  };
  return { local: find([0x50, 0x4b, 0x03, 0x04]), central: find([0x50, 0x4b, 0x01, 0x02]) };
}

/** Patch the uncompressed size every local and/or central header declares. */
function lie(zip: Buffer, size: number, where: { local?: boolean; central?: boolean }): Buffer {
  const out = Buffer.from(zip);
  const h = headers(out);
  if (where.local) for (const at of h.local) out.writeUInt32LE(size, at + 22);
  if (where.central) for (const at of h.central) out.writeUInt32LE(size, at + 24);
  return out;
}

describe('configured limits (64 KiB, 20 entries)', () => {
  const LIMIT = 64 * 1024;
  let t: TestBroker;
  let c: Client;
  beforeAll(async () => {
    t = await startZipBroker({ max_unpacked_bytes: LIMIT, max_zip_entries: 20 });
    c = await t.connect();
    await installProbe(c, 'v1');
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A project of exactly `bytes` bytes: main.js plus a data file of zeros. */
  function projectOf(bytes: number): Buffer {
    const main = 'exports.probe = { version: () => "exact", add: (a, b) => a + b };\n';
    return zipFiles({ 'main.js': main, 'data.bin': Buffer.alloc(bytes - Buffer.byteLength(main)) });
  }

  it('takes a project of exactly the limit, and refuses one byte more', async () => {
    const exact = await call(c, 'update', { data: projectOf(LIMIT) });
    expect(exact).toMatchObject({ status: 'success', data: { bytes: LIMIT, files: 2 } });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('exact');
    await installProbe(c, 'v1');
    const r = await expectRefused(t, c, projectOf(LIMIT + 1), 'E_ZIP_LIMIT', 'v1');
    expect(r.data).toMatchObject({ limit: LIMIT });
  });

  for (const [where, reason] of [
    [{ local: true }, /local header and the central directory disagree on the size/],
    [{ central: true }, /local header and the central directory disagree on the size/],
    [{ local: true, central: true }, /the headers declare 10 bytes; the data inflates to more/],
  ] as const) {
    it(`refuses one byte over the limit when the ${Object.keys(where).join(' and ')} header${Object.keys(where).length > 1 ? 's' : ''} lie: E_UNSAFE_ZIP`, async () => {
      const zip = lie(projectOf(LIMIT + 1), 10, where);
      const r = await expectRefused(t, c, zip, 'E_UNSAFE_ZIP', 'v1');
      expect((r.data as ErrorData).reason).toMatch(reason);
    });
  }

  it('refuses headers that claim more than the limit, even when the data is smaller', async () => {
    const zip = lie(projectOf(LIMIT), LIMIT * 2, { central: true });
    // The declared total is over the limit: refused from the headers.
    await expectRefused(t, c, zip, 'E_ZIP_LIMIT', 'v1');
  });

  it('refuses many small lying entries that together pass the limit, at the first lie', async () => {
    const parts = Array.from({ length: 10 }, (_, i): RawEntry => ({ name: `p${i}.bin`, data: Buffer.alloc(8 * 1024, i), declaredSize: 1 }));
    const r = await expectRefused(t, c, buildZip([MAIN, ...parts]), 'E_UNSAFE_ZIP', 'v1');
    expect(r.data).toMatchObject({ entry: 'p0.bin', declared: 1 });
  });

  it('refuses many small honest entries that together pass the limit, from their headers', async () => {
    const parts = Array.from({ length: 10 }, (_, i): RawEntry => ({ name: `p${i}.bin`, data: Buffer.alloc(8 * 1024, i) }));
    const r = await expectRefused(t, c, buildZip([MAIN, ...parts]), 'E_ZIP_LIMIT', 'v1');
    expect(r.data).toMatchObject({ limit: LIMIT, entry: 'p7.bin' });
  });

  it('refuses a stored (uncompressed) entry whose headers lie', async () => {
    const r = await expectRefused(t, c, buildZip([MAIN, { name: 'big.bin', data: Buffer.alloc(LIMIT), method: 0, declaredSize: 5 }]), 'E_UNSAFE_ZIP', 'v1');
    expect(r.data).toMatchObject({ entry: 'big.bin', declared: 5 });
  });

  it('takes 20 entries (folders count), and refuses 21', async () => {
    const files = (n: number): Record<string, string> => {
      const f: Record<string, string> = { 'main.js': 'exports.probe = { version: () => "twenty", add: (a, b) => a + b };\n' };
      for (let i = 1; i < n; i++) f[`lib/f${i}.txt`] = String(i);
      return f;
    };
    const twenty = await call(c, 'update', { data: zipFiles(files(20)) });
    expect(twenty).toMatchObject({ status: 'success', data: { files: 20 } });
    await installProbe(c, 'v1');
    const r = await expectRefused(t, c, zipFiles(files(21)), 'E_ZIP_LIMIT', 'v1');
    expect(r.data).toMatchObject({ entries: 21, limit: 20 });
    const dirs = buildZip([MAIN, ...Array.from({ length: 20 }, (_, i) => ({ name: `d${i}/` }))]);
    await expectRefused(t, c, dirs, 'E_ZIP_LIMIT', 'v1');
  });

  it('after every refusal: no partial project anywhere in storage', async () => {
    await expectOnlyBrokerFiles(t);
    expect(walk(t.config.worker.storage_dir).filter((p) => p.endsWith('data.bin') || /p\d\.bin|big\.bin/.test(p))).toEqual([]);
  });
});
