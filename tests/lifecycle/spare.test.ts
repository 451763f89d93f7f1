/**
 * A spare proves it is alive before it is promoted (issue #11, part 4): a frozen
 * (SIGSTOPped) standby worker is discarded when the current one crashes, and a fresh
 * worker takes over within a start's time, not after a heartbeat timeout.
 */
import { afterEach, expect, it } from 'vitest';
import type { WorkerStatus } from '../../dist/ipc/protocol.js';
import { call, callMethod, collect, startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { alive, descendants, versionProject, workersAmong } from './support.js';

let t: TestBroker | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('a frozen spare is not promoted: it is discarded and a fresh worker serves', async () => {
  t = await startTestBroker({ worker: { heartbeat_timeout: 10, standby: true } });
  const c = await t.connect();
  expect((await call(c, 'update', { data: versionProject('v1') })).status).toBe('success');
  const current = t.broker.supervisor.status().pid!;
  // The standby is spawned shortly after the update: freeze it once it is up.
  await waitFor(() => workersAmong(descendants(process.pid)).some((w) => w.pid !== current), 15_000, 'the spare');
  const spare = workersAmong(descendants(process.pid)).find((w) => w.pid !== current)!;
  const currentGen = t.broker.supervisor.status().generation;
  await waitFor(() => t!.logLines().some((l) => l.proc === 'worker' && l.gen !== currentGen && l.msg === 'worker ready'), 15_000, 'the spare to be ready');
  process.kill(spare.pid, 'SIGSTOP');
  const statuses = collect<WorkerStatus>(c, 'worker_status');
  const crashedAt = Date.now();
  process.kill(current, 'SIGKILL');
  await waitFor(() => statuses.some((s) => s.state === 'ready'), 10_000, 'a worker serving again');
  const outage = Date.now() - crashedAt;
  expect((await callMethod(c, 'probe', 'version')).data).toBe('v1');
  const now = t.broker.supervisor.status().pid!;
  expect([current, spare.pid]).not.toContain(now);
  await waitFor(() => t!.logLines().some((l) => /standby worker did not answer/.test(String(l.msg))), 10_000, 'the unanswered spare in the log');
  await waitFor(() => !alive(spare.pid), 5000, 'the frozen spare to be killed');
  // Far below the 10 s heartbeat deadline a frozen promoted spare would have cost.
  expect(outage).toBeLessThan(8000);
});
