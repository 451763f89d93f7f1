/**
 * ZIPs whose entries would write outside the project: `..`, absolute paths,
 * backslashes, drive letters, symlinks, devices; and entries whose headers lie
 * (a size that is not the data's, a local header that disagrees with the central
 * directory). Each is refused E_UNSAFE_ZIP by the real worker before anything is
 * written, and every path such an entry aims at (all inside this test's temp
 * folder) stays untouched.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, type Client, type TestBroker } from '../helpers/broker.js';
import { buildZip, zeroBomb, type RawEntry } from './zip-bytes.js';
import { expectOnlyBrokerFiles, expectRefused, installProbe, walk, startZipBroker, type ErrorData } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startZipBroker();
  c = await t.connect();
  await installProbe(c, 'v1');
});
afterAll(async () => {
  await t?.close();
});

const MAIN: RawEntry = { name: 'main.js', data: 'exports.evil = { run: () => "pwned" };\n' };

/**
 * The stage an upload is unpacked into is <dir>/projects/.staging/<id>/, so
 * "../../../x" aims at <dir>/x and "../../x" at <dir>/projects/x (storage, but
 * outside any project). Every target is inside the test's temp folder.
 */
function targets(): string[] {
  return [
    join(t.dir, 'escaped'),
    join(t.dir, 'projects', 'escaped'),
    join(t.dir, 'projects', '.staging', 'escaped'),
    join(t.dir, 'projects', '.releases', 'escaped'),
    join(t.dir, 'abs-escaped'),
    join(t.dir, 'etc', 'escaped'),
  ];
}

describe('unsafe entry names', () => {
  const cases: Array<[string, () => string, string]> = [
    ['../escaped', () => '../escaped', '".." in path'],
    ['../../../escaped (the temp folder)', () => '../../../escaped', '".." in path'],
    ['../../escaped (storage, outside the project)', () => '../../escaped', '".." in path'],
    ['a/../../../../escaped (climbs out through a folder)', () => 'a/../../../../escaped', '".." in path'],
    ['lib/.. (a bare ".." segment)', () => 'lib/..', '".." in path'],
    ['an absolute path into the temp folder', () => join(t.dir, 'abs-escaped'), 'absolute path'],
    ['an absolute /etc-style path (rooted in the temp folder)', () => join(t.dir, 'etc', 'escaped'), 'absolute path'],
    ['//host/share (UNC-style)', () => '//host/share/escaped', 'absolute path'],
    ['C:\\escaped', () => 'C:\\escaped', 'backslash in path'],
    ['C:/escaped (a drive letter)', () => 'C:/escaped', 'drive letter'],
    ['a\\..\\b', () => 'a\\..\\b', 'backslash in path'],
    ['..\\..\\..\\escaped', () => '..\\..\\..\\escaped', 'backslash in path'],
    ['a NUL byte', () => 'main.js\0../../escaped', 'NUL byte in name'],
  ];
  for (const [label, name, reason] of cases) {
    it(`refuses ${label}`, async () => {
      const entry = name();
      const zip = buildZip([MAIN, { name: entry, data: 'escaped' }]);
      const r = await expectRefused(t, c, zip, 'E_UNSAFE_ZIP', 'v1');
      expect(r.data).toMatchObject({ entry, reason });
      for (const p of targets()) expect(existsSync(p), p).toBe(false);
    });
  }

  it('refuses the bad entry even when it comes first, and writes none of the good ones', async () => {
    const zip = buildZip([{ name: '../../../escaped', data: 'x' }, MAIN, { name: 'lib/ok.js', data: 'ok' }]);
    await expectRefused(t, c, zip, 'E_UNSAFE_ZIP', 'v1');
    expect(walk(join(t.dir, 'projects', '.staging'))).toEqual([]);
  });

  it('refuses path components and names too long for the file system', async () => {
    const long = `${'a'.repeat(256)}.js`;
    const r = await expectRefused(t, c, buildZip([MAIN, { name: long, data: 'x' }]), 'E_UNSAFE_ZIP', 'v1');
    expect((r.data as ErrorData).reason).toMatch(/longer than 255 bytes/);
  });
});

describe('links and special files', () => {
  const S_IFLNK = 0o120000;
  const cases: Array<[string, RawEntry[], string]> = [
    ['a symlink to /', [MAIN, { name: 'root', data: '/', unixMode: S_IFLNK | 0o777 }], 'symlink'],
    ['a symlink to ../', [MAIN, { name: 'up', data: '../', unixMode: S_IFLNK | 0o777 }], 'symlink'],
    ['a symlink to the temp folder', [MAIN, { name: 'tmp', data: '', unixMode: S_IFLNK | 0o777 }], 'symlink'],
    [
      'a symlink then a file written through it',
      [MAIN, { name: 'up', data: '../../..', unixMode: S_IFLNK | 0o777 }, { name: 'up/escaped', data: 'through the link' }],
      'symlink',
    ],
    ['a stored symlink named like the entry module', [{ name: 'main.js', data: '/etc/passwd', unixMode: S_IFLNK | 0o644, method: 0 }], 'symlink'],
    ['a fifo', [MAIN, { name: 'pipe', unixMode: 0o010644 }], 'device, fifo or socket'],
    ['a character device', [MAIN, { name: 'null', unixMode: 0o020666 }], 'device, fifo or socket'],
    ['a block device', [MAIN, { name: 'disk', unixMode: 0o060660 }], 'device, fifo or socket'],
    ['a socket', [MAIN, { name: 'sock', unixMode: 0o140755 }], 'device, fifo or socket'],
  ];
  for (const [label, entries, reason] of cases) {
    it(`refuses ${label}`, async () => {
      // The link to the temp folder is made here, where t.dir is known.
      const zip = buildZip(entries.map((e) => (e.name === 'tmp' ? { ...e, data: t.dir } : e)));
      const r = await expectRefused(t, c, zip, 'E_UNSAFE_ZIP', 'v1');
      expect((r.data as ErrorData).reason).toBe(reason);
      for (const p of targets()) expect(existsSync(p), p).toBe(false);
    });
  }
});

describe('sizes and headers that lie', () => {
  const MiB = 1024 ** 2;
  const cases: Array<[string, RawEntry, RegExp]> = [
    // The case: the central directory is honest (200 MiB, under the 1 GiB limit), the local header says 1 KB.
    ['a local header that declares 1 KB for 200 MiB', { name: 'big.bin', raw: zeroBomb(200 * MiB), local: { size: 1024 } }, /disagree on the size \(1024 vs 209715200\)/],
    ['headers that both declare 1 KB for 200 MiB', { name: 'big.bin', raw: zeroBomb(200 * MiB), declaredSize: 1024 }, /declare 1024 bytes; the data inflates to more/],
    ['headers that declare more than the data holds', { name: 'short.bin', data: 'ten bytes!', declaredSize: 1000 }, /declare 1000 bytes; the data inflates to 10$/],
    ['a local compressed size that differs', { name: 'a.js', data: 'x'.repeat(100), local: { compressedSize: 3 } }, /disagree on the compressed size/],
    ['a local CRC-32 that differs', { name: 'a.js', data: 'hello', local: { crc: 1234 } }, /disagree on the CRC-32/],
    ['a local compression method that differs', { name: 'a.js', data: 'hello', method: 8, local: { method: 0 } }, /disagree on the compression method/],
    ['a local name that differs (another reader would write ../escaped)', { name: 'a.js', data: 'x', local: { name: '../escaped' } }, /disagree on the name/],
    ['a local encryption flag the central directory lacks', { name: 'a.js', data: 'x', local: { flags: 1 } }, /disagree on the encryption flag/],
  ];
  for (const [label, entry, reason] of cases) {
    it(`refuses ${label}`, async () => {
      const r = await expectRefused(t, c, buildZip([MAIN, entry]), 'E_UNSAFE_ZIP', 'v1');
      expect(r.data).toMatchObject({ entry: entry.name });
      expect((r.data as ErrorData).reason).toMatch(reason);
      for (const p of targets()) expect(existsSync(p), p).toBe(false);
    });
  }

  it('takes a streamed archive: zeros in the local header, the real values in a data descriptor and the central directory', async () => {
    const probe: RawEntry = { name: 'main.js', data: 'exports.probe = { version: () => "streamed", add: (a, b) => a + b };\n', descriptor: true };
    const r = await call(c, 'update', { data: buildZip([probe, { name: 'lib/data.txt', data: 'x'.repeat(5000), descriptor: true }]) });
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'success', data: { files: 2 } });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('streamed');
    await installProbe(c, 'v1');
  });
});

describe('after every unsafe upload', () => {
  it('nothing was written outside storage, nothing is left in .staging, and the next update works', async () => {
    await expectOnlyBrokerFiles(t);
    await installProbe(c, 'v2');
    await expectOnlyBrokerFiles(t);
  });
});
