/**
 * ZIPs whose entries would write outside the project: `..`, absolute paths,
 * backslashes, drive letters, symlinks, devices. Each is refused E_UNSAFE_ZIP by
 * the real worker before anything is written, and every path such an entry aims
 * at (all inside this test's temp folder) stays untouched.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type TestBroker } from '../helpers/broker.js';
import { buildZip, type RawEntry } from './zip-bytes.js';
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

describe('after every unsafe upload', () => {
  it('nothing was written outside storage, nothing is left in .staging, and the next update works', async () => {
    expectOnlyBrokerFiles(t);
    await installProbe(c, 'v2');
    expectOnlyBrokerFiles(t);
  });
});
