/**
 * Unpacking while an upload arrives (server/storage/unpack-ahead.ts): files are written
 * from the local headers as their bytes come, and kept only where the central directory
 * agrees. Its outcome must always be the one unpacking the whole archive at once gives:
 * the same files and modes, or the same error code and details (here for the odd
 * archives by name; unpack-ahead.fuzz.test.ts for random ones).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnpackAhead } from '../../dist/server/storage/unpack-ahead.js';
import { UnpackThread } from '../../dist/server/storage/unpack-thread.js';
import { unpackZip, type UnpackLimits } from '../../dist/server/storage/unpack.js';
import { tempDir, waitFor } from '../helpers/broker.js';
import { LIMITS, outcome, tree, unpackAhead } from './ahead-support.js';
import { buildZip, localHeaderOf, type RawEntry } from './zip-bytes.js';

const MAIN: RawEntry = { name: 'main.js', data: 'exports.robot = { hi: () => "hi" };\n' };
const MAIN_BYTES = Buffer.byteLength(MAIN.data as string);
const BIG = Buffer.alloc(300_000, 'robot data, compressible. ');

/**
 * A stored file (past the end records' window, so its data is left out of the plan when
 * written ahead) whose local extra field holds the local header of a second file, listed
 * by the central directory only, whose data is the first 1000 bytes of the first's: the
 * walk through the local headers never sees it, and the plan must read its data.
 */
function nestedInExtra(): RawEntry[] {
  const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 253));
  const inner: RawEntry = { name: 'x.txt', data: data.subarray(0, 1000), method: 0 };
  const header = localHeaderOf(inner);
  const extra = Buffer.concat([Buffer.from([0xfe, 0xca, header.length & 0xff, header.length >> 8]), header]);
  return [{ name: 'a.bin', data, method: 0, extra }, MAIN, { ...inner, centralAt: 30 + 'a.bin'.length + 4 }];
}

describe('unpacking ahead', () => {
  let thread: UnpackThread;
  beforeAll(() => {
    thread = new UnpackThread();
  });
  afterAll(async () => {
    await thread.close();
  });

  it('writes the files while the upload arrives; the central directory then only confirms them', async () => {
    const big = Buffer.from(Array.from({ length: 2_000_000 }, (_, i) => (i * 7919) % 251));
    const zip = buildZip([MAIN, { name: 'lib/tool.sh', data: '#!/bin/sh\n', unixMode: 0o100755 }, { name: 'data/big.bin', data: big, method: 0 }, { name: 'data/text.txt', data: BIG }]);
    const centralAt = zip.readUInt32LE(zip.length - 6);
    const target = join(tempDir('rc-ahead-'), 'upload');
    const upload = thread.open(zip.length, target, LIMITS);
    for (let at = 0; at < centralAt; at += 65_536) upload.append(zip.subarray(at, Math.min(centralAt, at + 65_536)));
    // Everything but the central directory has arrived: every file is already there, whole.
    await waitFor(() => existsSync(join(target, 'data/text.txt')) && statSync(join(target, 'data/text.txt')).size === BIG.length, 20_000, 'the files to be written ahead');
    expect(readFileSync(join(target, 'data/big.bin')).equals(big)).toBe(true);
    // Something no plan accounts for, put there by this test: finishing keeps the folder (it does not unpack again), so it stays.
    writeFileSync(join(target, 'marker'), 'kept');
    upload.append(zip.subarray(centralAt));
    const result = await thread.unpack(upload, target, LIMITS, 60_000);
    expect(result).toEqual({ files: 4, bytes: MAIN_BYTES + 10 + big.length + BIG.length });
    expect(readFileSync(join(target, 'marker'), 'utf8')).toBe('kept');
    const { marker: _marker, ...files } = tree(target);
    const whole = (await outcome((t) => unpackZip(zip, t, LIMITS))) as { files: Record<string, string> };
    expect(files).toEqual(whole.files);
    expect(files['lib/tool.sh']).toMatch(/^755 /);
  });

  it('a file the central directory does not list is written ahead, then thrown away with everything else: the archive is unpacked again', async () => {
    const zip = buildZip([{ name: 'hidden.js', data: 'evil', hidden: true }, MAIN, { name: 'lib/a.txt', data: 'a' }]);
    const target = join(tempDir('rc-ahead-'), 'upload');
    mkdirSync(target);
    const ahead = new UnpackAhead(zip.length, target, LIMITS);
    const centralAt = zip.readUInt32LE(zip.length - 6);
    ahead.arrived(zip.subarray(0, centralAt));
    await waitFor(() => existsSync(join(target, 'lib/a.txt')) && existsSync(join(target, 'hidden.js')), 20_000, 'the files to be written ahead');
    writeFileSync(join(target, 'marker'), 'gone after a fresh unpack');
    ahead.arrived(zip.subarray(centralAt));
    expect(await ahead.finish()).toEqual({ files: 2, bytes: MAIN_BYTES + 1 });
    expect(tree(target)).toEqual({ 'main.js': expect.stringMatching(/^644 /), lib: 'dir', 'lib/a.txt': expect.stringMatching(/^644 /) });
  });

  it('a file it could not write (here: one already there) stops the writing ahead; the folder is unpacked again from the start', async () => {
    const zip = buildZip([{ name: 'lib/a.txt', data: 'a' }, MAIN, { name: 'lib/b.txt', data: 'b' }]);
    const target = join(tempDir('rc-ahead-'), 'upload');
    mkdirSync(target);
    writeFileSync(join(target, 'main.js'), 'in the way');
    const centralAt = zip.readUInt32LE(zip.length - 6);
    const ahead = new UnpackAhead(zip.length, target, LIMITS);
    ahead.arrived(zip.subarray(0, centralAt));
    await ahead.writingStopped; // at main.js, before the upload is complete (else it would wait for the rest)
    ahead.arrived(zip.subarray(centralAt));
    expect(await ahead.finish()).toEqual({ files: 3, bytes: MAIN_BYTES + 2 });
    expect(readFileSync(join(target, 'main.js'), 'utf8')).toBe(MAIN.data);
    expect(Object.keys(tree(target)).sort()).toEqual(['lib', 'lib/a.txt', 'lib/b.txt', 'main.js']);
  });

  it('once the upload is complete, writing ahead stops after the entry it is at: a refusal does not wait for thousands of files', async () => {
    const limits = { ...LIMITS, maxEntries: 1000 };
    const zip = buildZip([MAIN, ...Array.from({ length: 1000 }, (_, i) => ({ name: `f/${i}`, data: '' }))]);
    const target = join(tempDir('rc-ahead-'), 'upload');
    const ahead = new UnpackAhead(zip.length, target, limits);
    ahead.arrived(zip);
    const finished = ahead.finish();
    finished.catch(() => {}); // looked at below, once the writing has stopped
    await ahead.writingStopped;
    // Written ahead when it stopped: at most the entry it was at (999 more were within the limit).
    expect(existsSync(join(target, 'f')) ? readdirSync(join(target, 'f')).length : 0).toBeLessThanOrEqual(1);
    await expect(finished).rejects.toMatchObject({ code: 'E_ZIP_LIMIT', details: { entries: 1001, limit: 1000 } });
  });

  it('an upload whose thread was replaced meanwhile is lost with it: E_INTERNAL, say so, and the next upload works', async () => {
    const zip = buildZip([MAIN, { name: 'big.bin', data: BIG, method: 0 }, { name: 'lib/a.txt', data: 'a' }]);
    const target = join(tempDir('rc-ahead-'), 'upload');
    const upload = thread.open(zip.length, target, LIMITS);
    upload.append(zip.subarray(0, 200_000));
    await waitFor(() => existsSync(join(target, 'big.bin')), 20_000, 'the big file to be begun');
    // A job over its deadline: the thread is given up on (terminated), with the upload it held.
    await expect(thread.unpack(buildZip([MAIN]), join(tempDir('rc-ahead-'), 'late'), LIMITS, 0)).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    upload.append(zip.subarray(200_000));
    await expect(thread.unpack(upload, target, LIMITS, 60_000)).rejects.toMatchObject({ code: 'E_INTERNAL', message: expect.stringMatching(/send it again/) });
    const again = thread.open(zip.length, join(tempDir('rc-ahead-'), 'again'), LIMITS);
    again.append(zip);
    expect(await thread.unpack(again, again.target, LIMITS, 60_000)).toEqual({ files: 3, bytes: MAIN_BYTES + BIG.length + 1 });
  });

  it('an abandoned upload stops being written, and its folder is removed', async () => {
    const zip = buildZip([MAIN, { name: 'big.bin', data: BIG, method: 0 }]);
    const target = join(tempDir('rc-ahead-'), 'upload');
    const upload = thread.open(zip.length, target, LIMITS);
    upload.append(zip.subarray(0, 100_000));
    await waitFor(() => existsSync(join(target, 'big.bin')), 20_000, 'the big file to be begun');
    upload.abandon();
    await waitFor(() => !existsSync(target), 20_000, 'the folder to be removed');
    // The thread goes on with the next upload.
    expect(await thread.unpack(buildZip([MAIN]), join(tempDir('rc-ahead-'), 'next'), LIMITS, 60_000)).toEqual({ files: 1, bytes: MAIN_BYTES });
  });

  it.each<[string, RawEntry[], Partial<UnpackLimits>]>([
    ['a data descriptor (sizes after the data)', [MAIN, { name: 'streamed.txt', data: BIG, descriptor: true }, { name: 'after.txt', data: 'x' }], {}],
    ['a local header that lies about the size', [MAIN, { name: 'lie.txt', data: 'hello', local: { size: 3 } }], {}],
    ['a local header that names another file', [MAIN, { name: 'a.txt', data: 'hello', local: { name: 'b.txt' } }], {}],
    ['an entry that inflates past its declared size', [MAIN, { name: 'more.txt', data: BIG, declaredSize: 1000 }], {}],
    ['a name that leaves the project', [MAIN, { name: '../up.txt', data: 'x' }], {}],
    ['the same file twice', [MAIN, { name: 'a.txt', data: '1' }, { name: 'a.txt', data: '2' }], {}],
    ['a file and a folder of one name', [MAIN, { name: 'lib', data: '1' }, { name: 'lib/a.txt', data: '2' }], {}],
    ['more bytes than the limit', [MAIN, { name: 'big.txt', data: BIG }], { maxUnpackedBytes: 100_000 }],
    ['more entries than the limit', [MAIN, { name: 'a', data: '1' }, { name: 'b', data: '2' }], { maxEntries: 2 }],
    ['a symlink', [MAIN, { name: 'link', data: '/etc/passwd', unixMode: 0o120777 }], {}],
    ['a file the central directory finds inside another file written ahead', nestedInExtra(), {}],
  ])('%s: the same outcome as unpacking it whole', async (_what, entries, limits) => {
    const zip = buildZip(entries);
    const l = { ...LIMITS, ...limits };
    const whole = await outcome((t) => unpackZip(zip, t, l));
    for (const sizes of [[zip.length], [1000], [7, 300, 13]]) {
      expect(await outcome((t) => unpackAhead(zip, sizes, t, l)), `in pieces of ${sizes.join(', ')}`).toEqual(whole);
    }
  });
});
