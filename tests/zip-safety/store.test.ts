/**
 * The storage layout behind safe updates: every update a fresh release swapped in
 * by renaming a symlink once a worker has loaded it, old releases pruned, and whatever
 * a crashed or hand-edited storage folder holds (a current/ folder, a crash between two
 * renames, uploads half unpacked, stray temporary links) repaired when the broker starts.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, tempDir, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { fixtureZip } from '../helpers/zip.js';
import { expectOnlyBrokerFiles, expectRefused, installProbe, isLink, probeProject, startZipBroker } from './support.js';

const probeSource = (version: string) => `exports.probe = { version: () => ${JSON.stringify(version)}, add: (a, b) => a + b };\n`;

describe('updates swap releases atomically and prune the old ones', () => {
  let t: TestBroker;
  let c: Client;
  beforeAll(async () => {
    t = await startZipBroker();
    c = await t.connect();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('current and .previous are links into .releases; only those two releases are kept', async () => {
    const storage = t.config.worker.storage_dir;
    for (const v of ['v1', 'v2', 'v3', 'v4']) await installProbe(c, v);
    expect(lstatSync(join(storage, 'current')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(storage, 'current'))).toMatch(/^\.releases\//);
    expect(readFileSync(join(storage, 'current', 'main.js'), 'utf8')).toContain('"v4"');
    expect(readFileSync(join(storage, '.previous', 'main.js'), 'utf8')).toContain('"v3"');
    const kept = (): string[] => readdirSync(join(storage, '.releases')).filter((n) => n !== 'package.json').sort();
    const linked = [readlinkSync(join(storage, 'current')), readlinkSync(join(storage, '.previous'))].map((l) => l.slice('.releases/'.length)).sort();
    await waitFor(() => kept().length === 2, 10_000, 'the older releases to be pruned after the answer');
    expect(kept()).toEqual(linked);
    expect(existsSync(join(storage, 'default', 'main.js'))).toBe(true);
    await expectOnlyBrokerFiles(t);
  });

  it('a bad update is discarded: current and .previous untouched, its staged release deleted', async () => {
    const storage = t.config.worker.storage_dir;
    const before = ['current', '.previous'].map((l) => readlinkSync(join(storage, l)));
    await expectRefused(t, c, fixtureZip('bad-projects/throws-at-import'), 'E_PROJECT_LOAD', 'v4');
    expect(['current', '.previous'].map((l) => readlinkSync(join(storage, l)))).toEqual(before);
    expect(readdirSync(join(storage, '.releases')).filter((n) => n !== 'package.json').sort()).toEqual(before.map((l) => l.slice('.releases/'.length)).sort());
    await expectRefused(t, c, fixtureZip('bad-projects/syntax-error'), 'E_PROJECT_LOAD', 'v4');
    await expectOnlyBrokerFiles(t);
  });

  it('two updates sent at once are applied one after the other; the last one wins', async () => {
    const [a, b] = await Promise.all([call(c, 'update', { data: probeProject('first') }), call(c, 'update', { data: probeProject('second') })]);
    expect(a.status).toBe('success');
    expect(b.status).toBe('success');
    expect((await callMethod(c, 'probe', 'version')).data).toBe('second');
    const storage = t.config.worker.storage_dir;
    expect(readFileSync(join(storage, '.previous', 'main.js'), 'utf8')).toContain('"first"');
    await expectOnlyBrokerFiles(t);
  });

  it('a good and a bad update sent at once: the good one stays', async () => {
    const [good, bad] = await Promise.all([
      call(c, 'update', { data: probeProject('good') }),
      call(c, 'update', { data: fixtureZip('bad-projects/throws-at-import') }),
    ]);
    expect(good.status).toBe('success');
    expect(bad).toMatchObject({ status: 'error', data: { code: 'E_PROJECT_LOAD' } });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('good');
    await expectOnlyBrokerFiles(t);
  });
});

describe('an update racing the first load of a fresh storage', () => {
  let t: TestBroker;
  afterAll(async () => {
    await t?.close();
  });

  it('the uploaded project ends up current, whichever the worker gets to first', async () => {
    t = await startZipBroker();
    const c = await t.connect();
    const [update, first] = await Promise.all([call(c, 'update', { data: probeProject('raced') }), callMethod(c, 'sport_client', 'GetStatus')]);
    expect(update.status).toBe('success');
    // The call ran on the default project or was cut short by the update's restart: never anything else.
    expect(['success', 'error']).toContain(first.status);
    if (first.status === 'error') expect(first.data).toMatchObject({ code: 'E_WORKER_RESTARTED' });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('raced');
    await expectOnlyBrokerFiles(t);
  });
});

describe('a storage folder left by a crash or edited by hand is repaired at start', () => {
  let storageRoot: string;
  let t: TestBroker | undefined;
  beforeAll(() => {
    storageRoot = tempDir('rc-storage-');
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => {
    rmSync(storageRoot, { recursive: true, force: true });
  });

  /** A fresh storage folder laid out by `prepare`, and a broker on it. */
  async function brokerOn(name: string, prepare: (storage: string) => void): Promise<{ storage: string; c: Client }> {
    const storage = join(storageRoot, name);
    mkdirSync(join(storage, '.releases'), { recursive: true });
    prepare(storage);
    t = await startZipBroker({ storage_dir: storage });
    return { storage, c: await t.connect() };
  }
  function release(storage: string, id: string, version: string): string {
    mkdirSync(join(storage, '.releases', id), { recursive: true });
    writeFileSync(join(storage, '.releases', id, 'main.js'), probeSource(version));
    return join('.releases', id);
  }

  it('a current/ folder made by hand runs, survives a bad update, and becomes .previous at the next good one', async () => {
    const { storage, c } = await brokerOn('hand-made', (s) => {
      mkdirSync(join(s, 'current'));
      writeFileSync(join(s, 'current', 'main.js'), probeSource('hand'));
    });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('hand');
    // A bad update touches nothing: the hand-made folder is still the current folder.
    await expectRefused(t!, c, fixtureZip('bad-projects/syntax-error'), 'E_PROJECT_LOAD', 'hand');
    expect(isLink(join(storage, 'current'))).toBe(false);
    await installProbe(c, 'v1');
    expect(readlinkSync(join(storage, '.previous'))).toMatch(/^\.releases\/.*-adopted$/);
    expect(readFileSync(join(storage, '.previous', 'main.js'), 'utf8')).toContain('"hand"');
  });

  it('a crash while current was moved aside: .previous becomes current, not the default project', async () => {
    const { storage, c } = await brokerOn('crash-no-current', (s) => {
      symlinkSync(release(s, '100-1-1-5', 'survivor'), join(s, '.previous'));
    });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('survivor');
    expect(readlinkSync(join(storage, 'current'))).toBe('.releases/100-1-1-5');
  });

  it('a current link whose release is gone: .previous takes over', async () => {
    const { c } = await brokerOn('dangling-current', (s) => {
      symlinkSync('.releases/gone', join(s, 'current'));
      symlinkSync(release(s, '100-1-1-6', 'fallback'), join(s, '.previous'));
    });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('fallback');
  });

  it('a crash between the two link swaps (current and .previous on one release) is a valid state', async () => {
    const { c } = await brokerOn('crash-between-swaps', (s) => {
      const r = release(s, '100-1-1-7', 'same');
      symlinkSync(r, join(s, 'current'));
      symlinkSync(r, join(s, '.previous'));
    });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('same');
    await installProbe(c, 'next');
    await expectRefused(t!, c, fixtureZip('bad-projects/throws-at-import'), 'E_PROJECT_LOAD', 'next');
  });

  it('leftovers of a crashed run are cleaned: .staging, an unpack rehearsal, temporary links, orphan releases, a dangling .previous', async () => {
    const { storage, c } = await brokerOn('leftovers', (s) => {
      symlinkSync(release(s, '100-1-1-8', 'kept'), join(s, 'current'));
      release(s, '100-1-1-9', 'orphan'); // moved into .releases, never made current
      mkdirSync(join(s, '.staging', '100-1-2-half'), { recursive: true });
      writeFileSync(join(s, '.staging', '100-1-2-half', 'main.js'), 'half unpacked');
      mkdirSync(join(s, '.rehearsal', 'robot-control-unpack-1-1', 'whole'), { recursive: true });
      writeFileSync(join(s, '.rehearsal', 'robot-control-unpack-1-1', 'whole', 'main.js'), 'a warm-up the server was killed in');
      symlinkSync('.releases/100-1-1-9', join(s, 'current.tmp-4242'));
      symlinkSync('.releases/gone', join(s, '.previous'));
    });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('kept');
    expect(readdirSync(join(storage, '.staging'))).toEqual([]);
    expect(readdirSync(join(storage, '.rehearsal'))).not.toContain('robot-control-unpack-1-1'); // this run's own rehearsal may be under way
    expect(readdirSync(storage).filter((n) => n !== '.slots').sort()).toEqual(['.rehearsal', '.releases', '.staging', 'current', 'default']); // .slots: sandboxed workers' project slots
    expect(readdirSync(join(storage, '.releases')).sort()).toEqual(['100-1-1-8', 'package.json']);
  });

  it('an empty current/ folder (no entry module) gives way to the default project', async () => {
    const { c } = await brokerOn('empty-current', (s) => {
      mkdirSync(join(s, 'current'));
    });
    expect((await callMethod(c, 'sport_client', 'GetStatus')).status).toBe('success');
  });
});
