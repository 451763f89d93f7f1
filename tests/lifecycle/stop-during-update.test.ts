/**
 * Issue #11: closing the broker while the old worker runs a slow stop() hook during an
 * update. After "broker stopped" nothing may move: no transition out of `stopped`, no
 * worker spawned, no worker process left.
 */
import { afterEach, expect, it } from 'vitest';
import { call, callMethod, startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { descendants, versionProject, workersAmong } from './support.js';

let t: TestBroker | undefined;
afterEach(async () => {
  await t?.close().catch(() => {});
  t = undefined;
});

it('stop while the old worker runs a slow stop() hook during an update: nothing spawns after stop', async () => {
  t = await startTestBroker();
  const c = await t.connect();
  expect((await call(c, 'update', { data: versionProject('slow', { stopMs: 1500 }) })).status).toBe('success');
  expect((await callMethod(c, 'probe', 'version')).data).toBe('slow'); // loaded: its stop() hook will run
  const stopHooks = () => t!.logLines().filter((l) => l.msg === 'stop hook ran' || l.msg === 'worker state' && l.reason === 'update').length;
  const before = stopHooks();
  void call(c, 'update', { data: versionProject('next') }, 5000).catch(() => null); // answered E_SHUTTING_DOWN, or never: the broker closes
  // The old worker is asked to go (its stop() hook now runs for 1.5 s): close the broker then.
  await waitFor(() => stopHooks() > before, 10_000, 'the update to reach the old worker');
  await t.broker.close();
  // Give a late operation every chance to act (the stop hook ends 1.5 s after it began).
  await new Promise((r) => setTimeout(r, 2500));
  const lines = t.logLines();
  const stoppedAt = lines.findIndex((l) => l.msg === 'broker stopped');
  expect(stoppedAt).toBeGreaterThan(-1);
  const after = lines.slice(stoppedAt + 1);
  expect(after.filter((l) => l.msg === 'worker state' || /spawned|promoted/.test(String(l.msg))), JSON.stringify(after)).toEqual([]);
  expect(lines.filter((l) => l.msg === 'worker state' && l.from === 'stopped' && l.reason !== 'start'), JSON.stringify(lines.filter((l) => l.module === 'supervisor').map((l) => [l.msg, l.from, l.to, l.reason]))).toEqual([]);
  expect(workersAmong(descendants(process.pid))).toEqual([]);
});
