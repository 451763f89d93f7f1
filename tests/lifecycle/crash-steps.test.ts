/**
 * Verify before swap survives the server's own death (issue #11, part 2): the server is
 * SIGKILLed at each step of an update (the test-only ROBOT_CONTROL_TEST_CRASH_AT hook,
 * server/storage/crash-points.ts), and also while it starts. Whatever the step: no
 * process of its group is left, and the next broker on the same storage serves the last
 * good project (the old one before the swap, the verified new one after it) from a
 * clean layout.
 */
import { mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, callMethod, connectClient, tempDir, waitFor } from '../helpers/broker.js';
import { killLeftovers, startServerProcess, type ServerProcess } from './server-process.js';
import { versionProject, workersAmong } from './support.js';

afterEach(killLeftovers);

/** A storage folder whose current project is `version` (laid out as the store does). */
function storageWith(version: string): string {
  const dir = tempDir('rc-crash-');
  const release = join(dir, 'store', '.releases', '100-1-1-good');
  mkdirSync(release, { recursive: true });
  writeFileSync(join(release, 'main.js'), `exports.probe = { version: () => ${JSON.stringify(version)} };\n`);
  symlinkSync('.releases/100-1-1-good', join(dir, 'store', 'current'));
  return dir;
}

async function version(s: ServerProcess): Promise<unknown> {
  const c = await connectClient(s.url, { token: s.token });
  try {
    return (await callMethod(c, 'probe', 'version')).data;
  } finally {
    c.close();
  }
}

/** Nothing of the broker is left: the server died and took (or its workers noticed and followed) every worker. */
async function nothingLeft(s: ServerProcess): Promise<void> {
  try {
    await waitFor(() => s.processes().length === 0, 8000, 'every process of the killed server to exit');
  } catch (err) {
    const left = s.processes().map((p) => `${p.pid} (${p.state}, group ${p.pgid}) ${p.cmdline.slice(0, 120)}`);
    throw new Error(`${(err as Error).message}; still running:\n${left.join('\n')}`);
  }
}

describe('the server killed at each step of an update', () => {
  it.each([
    ['unpacked', 'v1'],
    ['staged', 'v1'],
    ['loaded', 'v1'],
    ['previous-linked', 'v1'],
    ['swapped', 'v2'],
  ] as const)('at %s: the next start serves %s from a clean storage', async (step, expected) => {
    const dir = storageWith('v1');
    const s = await startServerProcess({ dir, env: { ROBOT_CONTROL_TEST_CRASH_AT: step } });
    const c = await connectClient(s.url, { token: s.token });
    void call(c, 'update', { data: versionProject('v2') }, 20_000).catch(() => null);
    await s.exited;
    expect(s.child.signalCode).toBe('SIGKILL');
    c.close();
    await nothingLeft(s);
    const again = await startServerProcess({ dir });
    expect(await version(again)).toBe(expected);
    const store = join(dir, 'store');
    expect(readdirSync(join(store, '.staging'))).toEqual([]);
    const linked = ['current', '.previous'].flatMap((l) => {
      try {
        return [readlinkSync(join(store, l)).replace('.releases/', '')];
      } catch {
        return [];
      }
    });
    expect(readdirSync(join(store, '.releases')).filter((n) => n !== 'package.json' && !linked.includes(n))).toEqual([]);
    process.kill(-again.pgid, 'SIGTERM');
    await nothingLeft(again);
  });
});

describe('the server killed while it starts, and while it recovers from a crash', () => {
  it('leaves no process behind either way', async () => {
    const starting = await startServerProcess({ noWait: true });
    await waitFor(() => workersAmong(starting.processes()).length > 0, 15_000, 'a worker to be spawned');
    process.kill(starting.pgid, 'SIGKILL');
    await nothingLeft(starting);

    const s = await startServerProcess();
    const worker = workersAmong(s.processes())[0]!;
    process.kill(worker.pid, 'SIGKILL'); // a crash: the server now promotes or spawns a replacement
    process.kill(s.pgid, 'SIGKILL');
    await nothingLeft(s);
  });
});
