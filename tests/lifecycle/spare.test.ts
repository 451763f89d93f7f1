/**
 * A spare proves it is alive before it is promoted (issue #11, part 4): a frozen
 * (SIGSTOPped) standby worker is discarded when the current one crashes, and a fresh
 * worker takes over within a start's time, not after a heartbeat timeout. With
 * `worker.standby: N`, N spares are kept: updates back to back each take one that was
 * ready before them, and the pool fills again.
 */
import { afterEach, expect, it } from 'vitest';
import type { WorkerStatus } from '../../dist/ipc/protocol.js';
import { call, callMethod, collect, startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import type { StatsSnapshot } from '../../dist/server/observability/stats-snapshot.js';
import { get, sample } from '../observability/helpers.js';
import { connectAs } from '../control/clients.js';
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

/** Generations of the spares spawned, ready and not taken yet, oldest first (from the broker's log). */
function readySpares(t: TestBroker): unknown[] {
  const lines = t.logLines();
  const ready = new Set(lines.filter((l) => l.proc === 'worker' && l.msg === 'worker ready').map((l) => l.gen));
  const taken = new Set(lines.filter((l) => l.msg === 'standby worker taken').map((l) => l.gen));
  return lines.filter((l) => l.msg === 'worker spawned' && l.reason === 'standby').map((l) => l.gen).filter((g) => ready.has(g) && !taken.has(g));
}

it('worker.standby: 3 keeps three spares: three updates back to back each take one that was ready before them', async () => {
  t = await startTestBroker({ worker: { heartbeat_timeout: 10, standby: 3 } });
  const c = await t.connect();
  expect((await call(c, 'update', { data: versionProject('v0') })).status).toBe('success');
  await waitFor(() => readySpares(t!).length === 3, 30_000, 'three spares ready');
  const before = readySpares(t);
  for (const v of ['v1', 'v2', 'v3']) {
    const ack = await call(c, 'update', { data: versionProject(v) });
    expect(ack.status, JSON.stringify(ack)).toBe('success');
  }
  // Oldest first, and none of them a spare spawned during the burst.
  expect(t.logLines().filter((l) => l.msg === 'standby worker taken').map((l) => l.gen).slice(-3)).toEqual(before);
  expect((await callMethod(c, 'probe', 'version')).data).toBe('v3');
  await waitFor(() => readySpares(t!).length === 3, 30_000, 'the pool filled again');
  // Operators see the pool: /stats, and /metrics by state.
  expect((await get<StatsSnapshot>(t.url, '/stats', t.token)).json.worker.spares).toEqual({ kept: 3, ready: 3, booting: 0 });
  const metrics = (await get(t.url, '/metrics', t.token)).text;
  expect([sample(metrics, 'robot_control_worker_spares', { state: 'ready' }), sample(metrics, 'robot_control_worker_spares', { state: 'booting' })]).toEqual([3, 0]);
  // The worker serving and three spares: the workers the updates replaced are gone, and no fourth spare was made.
  await waitFor(() => workersAmong(descendants(process.pid)).length === 4, 15_000, 'four worker processes');
  expect(t.logLines().filter((l) => l.msg === 'worker spawned' && l.reason === 'standby')).toHaveLength(6);
}, 120_000);

/** The node process of the spare of generation `gen` (under bwrap, the one inside the sandbox). */
function workerPidOf(t: TestBroker, gen: unknown): number {
  const spawned = t.logLines().find((l) => l.msg === 'worker spawned' && l.gen === gen)!.workerPid as number;
  return workersAmong(descendants(spawned))[0]?.pid ?? spawned;
}

it('a frozen spare among ready ones is skipped: the next ready spare is promoted, no process started for it', async () => {
  t = await startTestBroker({ worker: { heartbeat_timeout: 10, standby: 2 } });
  const c = await t.connect();
  expect((await call(c, 'update', { data: versionProject('v1') })).status).toBe('success');
  await waitFor(() => readySpares(t!).length === 2, 30_000, 'two spares ready');
  const [frozen, next] = readySpares(t);
  const spawnsBefore = t.logLines().filter((l) => l.msg === 'worker spawned').length;
  process.kill(workerPidOf(t, frozen), 'SIGSTOP');
  const statuses = collect<WorkerStatus>(c, 'worker_status');
  process.kill(t.broker.supervisor.status().pid!, 'SIGKILL');
  await waitFor(() => statuses.some((s) => s.state === 'ready'), 10_000, 'a worker serving again');
  expect((await callMethod(c, 'probe', 'version')).data).toBe('v1');
  expect(t.broker.supervisor.status().generation).toBe(next);
  expect(t.logLines().some((l) => l.gen === frozen && /standby worker did not answer/.test(String(l.msg)))).toBe(true);
  // Every process started since refills the pool: none was started to serve.
  expect(t.logLines().filter((l) => l.msg === 'worker spawned').slice(spawnsBefore).every((l) => l.reason === 'standby')).toBe(true);
}, 120_000);

it('worker.standby: auto keeps one spare, and one more each time updates back to back find none ready', async () => {
  t = await startTestBroker({ worker: { heartbeat_timeout: 10, standby: 'auto' } });
  const c = await t.connect();
  const spares = async () => (await get<StatsSnapshot>(t!.url, '/stats', t!.token)).json.worker.spares;
  // An update right after the start (the first spare most likely still booting) is not a burst:
  // the start's own worker took no spare.
  expect((await call(c, 'update', { data: versionProject('v0') })).status).toBe('success');
  await waitFor(async () => (await spares()).ready === 1, 30_000, 'the first spare ready');
  expect((await spares()).kept).toBe(1);
  expect(t.logLines().filter((l) => /one more spare kept/.test(String(l.msg)))).toEqual([]);
  // Four updates, each sent as the last is acked: the spare a take leaves behind boots for
  // longer than an update takes, so every one after the first finds the pool empty.
  for (const v of ['v1', 'v2', 'v3', 'v4']) expect((await call(c, 'update', { data: versionProject(v) })).status).toBe('success');
  const grown = t.logLines().filter((l) => /one more spare kept/.test(String(l.msg)));
  expect(grown.length).toBeGreaterThanOrEqual(1);
  const kept = (await spares()).kept;
  expect(kept).toBe(1 + grown.length);
  expect(sample((await get(t.url, '/metrics', t.token)).text, 'robot_control_worker_spares_wanted')).toBe(kept);
  await waitFor(async () => (await spares()).ready === kept, 30_000, `${kept} spares ready`);
  // The grown pool takes the next burst without a boot: none of these updates waited for one.
  const spawnedBefore = t.logLines().filter((l) => l.msg === 'worker spawned').length;
  const readyBefore = readySpares(t);
  for (const v of ['v5', 'v6'].slice(0, kept)) expect((await call(c, 'update', { data: versionProject(v) })).status).toBe('success');
  const taken = t.logLines().filter((l) => l.msg === 'standby worker taken').map((l) => l.gen).slice(-Math.min(2, kept));
  expect(readyBefore).toEqual(expect.arrayContaining(taken));
  expect(t.logLines().filter((l) => l.msg === 'worker spawned').slice(spawnedBefore).every((l) => l.reason === 'standby')).toBe(true);
  expect((await callMethod(c, 'probe', 'version')).data).toBe(kept >= 2 ? 'v6' : 'v5');
}, 120_000);

it('worker.standby_quiet: the spares are retired after that long without a command; the next command, or a client admitted, brings them back', async () => {
  t = await startTestBroker({ worker: { heartbeat_timeout: 10, standby: 2, standby_quiet: 2 } });
  const c = await t.connect();
  expect((await call(c, 'update', { data: versionProject('v1') })).status).toBe('success');
  const serving = t.broker.supervisor.status().pid!;
  const retired = () => t!.logLines().filter((l) => /standby workers retired/.test(String(l.msg))).length;
  const spareSpawns = () => t!.logLines().filter((l) => l.msg === 'worker spawned' && l.reason === 'standby').length;
  // Quiet: the pool empties, and only the worker that serves is left.
  await waitFor(() => retired() === 1, 30_000, 'the spares retired');
  await waitFor(() => workersAmong(descendants(process.pid)).length === 1, 15_000, 'the spare processes to exit');
  expect(workersAmong(descendants(process.pid)).map((w) => w.pid)).toEqual([serving]);
  expect((await get<StatsSnapshot>(t.url, '/stats', t.token)).json.worker.spares).toEqual({ kept: 0, ready: 0, booting: 0 });
  // Commands: the project still served, and both spares back (calls keep coming while they boot, or they would rest again).
  expect((await callMethod(c, 'probe', 'version')).data).toBe('v1');
  await waitFor(
    async () => (await callMethod(c, 'probe', 'version')).data === 'v1' && readySpares(t!).length >= 2 && workersAmong(descendants(process.pid)).length === 3,
    30_000,
    'two spares back',
  );
  expect(t.broker.supervisor.status().pid).toBe(serving);
  expect((await get<StatsSnapshot>(t.url, '/stats', t.token)).json.worker.spares.kept).toBe(2);
  // Quiet again; then a client admitted (an observer, no command) is enough to start them.
  await waitFor(() => retired() === 2, 30_000, 'the spares retired again');
  const spawnsBefore = spareSpawns();
  const observer = await connectAs(t.url, { token: t.token, role: 'observer' });
  try {
    await waitFor(() => spareSpawns() > spawnsBefore, 15_000, 'a spare spawned for the client admitted');
  } finally {
    observer.close();
  }
}, 120_000);
