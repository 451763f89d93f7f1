/**
 * Uploads that are not a usable project archive (not a ZIP, empty, truncated,
 * corrupt, garbage base64, no entry module) and the shapes that are (a project in
 * one top-level folder, with or without macOS's __MACOSX beside it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { call, callMethod, type Client, type TestBroker } from '../helpers/broker.js';
import { fixtureZip, zipFiles } from '../helpers/zip.js';
import { buildZip, emptyZip } from './zip-bytes.js';
import { expectOnlyBrokerFiles, expectRefused, installProbe, startZipBroker, type ErrorData } from './support.js';

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

const GOOD = buildZip([
  { name: 'main.js', data: 'exports.robot = { ok: () => "ok" };\n'.repeat(20) },
  { name: 'lib/util.js', data: 'exports.x = 1;\n' },
]);

describe('not a usable archive', () => {
  it('refuses bytes that are not a ZIP', async () => {
    await expectRefused(t, c, Buffer.from('#!/bin/sh\necho this is a shell script, not a zip\n'), 'E_INVALID_ZIP', 'v1');
    await expectRefused(t, c, randomBytes(4096), 'E_INVALID_ZIP', 'v1');
  });

  it('refuses a ZIP cut short (no end record) and one cut inside its data', async () => {
    await expectRefused(t, c, GOOD.subarray(0, GOOD.length - 30), 'E_INVALID_ZIP', 'v1');
    await expectRefused(t, c, GOOD.subarray(0, 60), 'E_INVALID_ZIP', 'v1');
  });

  it('refuses a ZIP whose compressed data is corrupt (inflate error or CRC mismatch)', async () => {
    const corrupt = Buffer.from(GOOD);
    corrupt.fill(0xff, 40, 60); // inside main.js's deflate stream
    await expectRefused(t, c, corrupt, 'E_INVALID_ZIP', 'v1');
    const stored = buildZip([{ name: 'main.js', data: 'exports.robot = { ok: () => "ok" };\n', method: 0 }]);
    const flipped = Buffer.from(stored);
    const at = 30 + 'main.js'.length + 5;
    flipped.writeUInt8(flipped.readUInt8(at) ^ 0x20, at); // a stored byte changed: only the CRC notices
    const r = await expectRefused(t, c, flipped, 'E_INVALID_ZIP', 'v1');
    expect(r.message).toMatch(/CRC/);
  });

  it('refuses a central directory that points past the end of the file', async () => {
    const bad = Buffer.from(GOOD);
    const cd = bad.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bad.writeUInt32LE(0x7fffffff, cd + 42); // the first entry's local header offset
    await expectRefused(t, c, bad, 'E_INVALID_ZIP', 'v1');
  });

  it('refuses base64 text that decodes to garbage, and text that is not base64 at all', async () => {
    await expectRefused(t, c, randomBytes(3000).toString('base64'), 'E_INVALID_ZIP', 'v1');
    await expectRefused(t, c, 'UEsDBBQAAAAIAA==', 'E_INVALID_ZIP', 'v1'); // a local header's first bytes, then nothing
    await expectRefused(t, c, '%%% this is not base64 %%%', 'E_INVALID_PAYLOAD', 'v1');
  });

  it('refuses an empty ZIP with E_NO_ENTRY', async () => {
    const r = await expectRefused(t, c, emptyZip(), 'E_NO_ENTRY', 'v1');
    expect(r.message).toMatch(/no files/);
    await expectRefused(t, c, buildZip([{ name: 'lib/' }, { name: 'lib/empty/' }]), 'E_NO_ENTRY', 'v1');
  });

  it('refuses a project without an entry module with E_NO_ENTRY, naming what it found', async () => {
    const r = await expectRefused(t, c, fixtureZip('bad-projects/no-entry'), 'E_NO_ENTRY', 'v1');
    expect((r.data as ErrorData).found).toEqual(['README.md', 'src']);
    // An entry module that is a folder is not an entry module.
    await expectRefused(t, c, buildZip([{ name: 'main.js/' }, { name: 'main.js/index.js', data: 'x' }]), 'E_NO_ENTRY', 'v1');
    // main.js two folders down is not at the root or in the single top-level folder.
    await expectRefused(t, c, zipFiles({ 'a/b/main.js': 'exports.x = {}' }), 'E_NO_ENTRY', 'v1');
  });

  it('refuses encrypted entries and compression methods it cannot inflate', async () => {
    const encrypted = await expectRefused(t, c, buildZip([{ name: 'main.js', data: 'x', flags: 0x1 }]), 'E_INVALID_ZIP', 'v1');
    expect(encrypted.message).toMatch(/encrypted/);
    const bzip2 = buildZip([{ name: 'main.js', raw: { bytes: Buffer.from('BZh91AY&SY'), size: 10, crc: 0 }, method: 12 }]);
    const method = await expectRefused(t, c, bzip2, 'E_INVALID_ZIP', 'v1');
    expect(method.data).toMatchObject({ method: 12 });
  });

  it('refuses the same path twice, and a path that is both a file and a folder', async () => {
    await expectRefused(t, c, buildZip([{ name: 'main.js', data: 'a' }, { name: 'main.js', data: 'b' }]), 'E_INVALID_ZIP', 'v1');
    await expectRefused(t, c, buildZip([{ name: 'main.js', data: 'a' }, { name: './main.js', data: 'b' }]), 'E_INVALID_ZIP', 'v1');
    await expectRefused(t, c, buildZip([{ name: 'main.js', data: 'a' }, { name: 'lib', data: 'x' }, { name: 'lib/a.js', data: 'y' }]), 'E_INVALID_ZIP', 'v1');
  });

  it('left nothing behind, and the next update works', async () => {
    await expectOnlyBrokerFiles(t);
    await installProbe(c, 'v1');
  });
});

describe('project shapes that work', () => {
  const ROBOT = 'exports.shape = { where: () => require("./lib/where.js").where };\n';
  const WHERE = 'exports.where = "nested";\n';

  it('a project in one top-level folder', async () => {
    const r = await call(c, 'update', { data: zipFiles({ 'my-robot/main.js': ROBOT, 'my-robot/lib/where.js': WHERE }) });
    expect(r).toMatchObject({ status: 'success', data: { type: 'javascript', entry: 'main.js', files: 2 } });
    expect((await callMethod(c, 'shape', 'where')).data).toBe('nested');
  });

  it('a project in one top-level folder with __MACOSX and .DS_Store beside it', async () => {
    const zip = zipFiles({
      'my-robot/main.js': ROBOT,
      'my-robot/lib/where.js': WHERE,
      '__MACOSX/my-robot/._main.js': Buffer.from([0, 5, 22, 7, 0, 2]),
      '.DS_Store': Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]),
    });
    const r = await call(c, 'update', { data: zip.toString('base64') });
    expect(r).toMatchObject({ status: 'success', data: { entry: 'main.js', files: 4 } });
    expect((await callMethod(c, 'shape', 'where')).data).toBe('nested');
    await expectOnlyBrokerFiles(t);
  });

  it('entry names with "./" and empty segments, explicit folder entries, and an empty file', async () => {
    const zip = buildZip([
      { name: './' },
      { name: './lib/' },
      { name: './main.js', data: ROBOT },
      { name: 'lib//where.js', data: WHERE },
      { name: 'lib/empty.txt', data: '' },
    ]);
    const r = await call(c, 'update', { data: zip });
    expect(r).toMatchObject({ status: 'success', data: { entry: 'main.js', files: 3 } });
    expect((await callMethod(c, 'shape', 'where')).data).toBe('nested');
  });

  it('the module type the project declares: main.mjs, main.cjs, main.js with "type": "module"', async () => {
    const projects: Array<Record<string, string>> = [
      { 'main.mjs': 'export const kind = { name: () => "mjs" };\n' },
      { 'main.cjs': 'exports.kind = { name: () => "cjs" };\n' },
      { 'main.js': 'export const kind = { name: () => "esm" };\n', 'package.json': '{ "type": "module" }\n' },
    ];
    for (const files of projects) {
      const entry = Object.keys(files)[0]!;
      expect(await call(c, 'update', { data: zipFiles(files) })).toMatchObject({ status: 'success', data: { entry } });
    }
    expect((await callMethod(c, 'kind', 'name')).data).toBe('esm');
  });
});
