/** Packing a project folder, and the backoff the SDK reconnects with. */
import AdmZip from 'adm-zip';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffDelay, ENTRY_MODULES, packProject, PackError, zipOf } from '../../dist/client/index.js';
import { tempDir } from '../helpers/broker.js';

function project(files: Record<string, string>): string {
  const dir = tempDir('rc-pack-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('packProject', () => {
  it('zips the folder contents at the ZIP root, skipping node_modules, .git and __pycache__', () => {
    const dir = project({
      'main.py': 'push_message = None\n',
      'lib/helper.py': 'X = 1\n',
      'node_modules/dep/index.js': '',
      '.git/HEAD': 'ref: refs/heads/main\n',
      '__pycache__/main.cpython-311.pyc': '',
      'lib/__pycache__/helper.cpython-311.pyc': '',
    });
    const packed = packProject(dir);
    expect(packed.entry).toBe('main.py');
    expect(packed.files).toEqual(['lib/helper.py', 'main.py']);
    const names = new AdmZip(packed.zip).getEntries().map((e) => e.entryName).sort();
    expect(names).toEqual(['lib/helper.py', 'main.py']);
    expect(packed.bytes).toBe('push_message = None\n'.length + 'X = 1\n'.length);
  });

  it('finds each kind of entry module', () => {
    for (const entry of ENTRY_MODULES) expect(packProject(project({ [entry]: '' })).entry).toBe(entry);
  });

  it('refuses a folder with no entry module, and a missing folder', () => {
    expect(() => packProject(project({ 'src/main.js': '', 'index.js': '' }))).toThrow(PackError);
    expect(() => packProject(project({ 'index.js': '' }))).toThrow(/no entry module.*main\.js, main\.mjs, main\.cjs, main\.ts, main\.py/);
    expect(() => packProject(join(tempDir(), 'nope'))).toThrow(/no such folder/);
  });

  it('packs a symlinked file as its content and skips symlinked folders and the excluded output', () => {
    const dir = project({ 'main.js': 'exports.a = {};\n', 'real/x.js': 'x' });
    symlinkSync(join(dir, 'real', 'x.js'), join(dir, 'linked.js'));
    symlinkSync(join(dir, 'real'), join(dir, 'loop'));
    writeFileSync(join(dir, 'out.zip'), 'old');
    const packed = packProject(dir, { exclude: [join(dir, 'out.zip')] });
    expect(packed.files).toEqual(['linked.js', 'main.js', 'real/x.js']);
    expect(new AdmZip(packed.zip).getEntry('linked.js')?.getData().toString()).toBe('x');
  });

  it('zipOf reads bytes, .zip paths and folders', async () => {
    const dir = project({ 'main.js': '' });
    const packed = packProject(dir);
    writeFileSync(join(dir, '..', 'p.zip'), packed.zip);
    expect((await zipOf(join(dir, '..', 'p.zip'))).equals(packed.zip)).toBe(true);
    expect(new AdmZip(await zipOf(dir)).getEntries().map((e) => e.entryName)).toEqual(['main.js']);
    expect(await zipOf(new Uint8Array([1, 2]))).toEqual(Buffer.from([1, 2]));
    await expect(zipOf(join(dir, 'missing.zip'))).rejects.toThrow(PackError);
  });
});

describe('backoffDelay', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 };
  it('doubles from the initial delay up to the cap', () => {
    expect([0, 1, 2, 3, 4, 10, 1000].map((a) => backoffDelay(a, options, 0))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });
  it('jitter takes up to its share off the nominal delay', () => {
    expect(backoffDelay(2, options, 0.999999)).toBe(200);
    expect(backoffDelay(2, options, 0.5)).toBe(300);
    expect(backoffDelay(2, { ...options, jitter: 0 }, 0.9)).toBe(400);
  });
});
