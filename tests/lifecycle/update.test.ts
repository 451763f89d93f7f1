/**
 * Verify before swap, seen from outside (issue #11, part 2): the worker serving calls is
 * never touched by an update, a bad upload costs at most one extra worker process (the
 * candidate; taking the spare for it starts the next spare), the
 * client hears one status change for a good update and none for a bad one, the upload's
 * request id reaches the worker's load, and an update survives a crash beside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerStatus } from '../../dist/ipc/protocol.js';
import { call, callMethod, collect, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { brokerRunning, descendants, hangingProject, slowLoadingProject, versionProject, workersAmong } from './support.js';

let t: TestBroker;
let c: Client;
const workers = () => workersAmong(descendants(process.pid));
const servingPid = () => t.broker.supervisor.status().pid!;

beforeAll(async () => {
  ({ t, c } = await brokerRunning(versionProject('v1'), { start_timeout: 4, standby: true }));
});
afterAll(async () => {
  await t?.close();
});

/** Wait until the broker is back to its resting shape: one serving worker and its spare. */
async function settled(): Promise<void> {
  await waitFor(() => t.broker.supervisor.status().state === 'ready' && workers().length === 2, 20_000, 'one worker and its spare');
}

describe('an update that fails to load', () => {
  it('calls keep succeeding on the same worker the whole time; at most one extra worker process; no status change', async () => {
    await settled();
    const pid = servingPid();
    const instance = (await callMethod(c, 'probe', 'instance')).data;
    const statuses = collect<WorkerStatus>(c, 'worker_status');
    const linesBefore = t.logLines().length;
    // The spare's own spawn line may reach the file only now (the log thread, on a loaded
    // machine): what this update spawned is logged from here on.
    const sentAt = Date.now();
    let done = false;
    const update = call(c, 'update', { data: hangingProject() }, 45_000).finally(() => (done = true));
    let calls = 0;
    let most = 0;
    while (!done) {
      const r = await callMethod(c, 'probe', 'instance');
      expect(r).toEqual({ status: 'success', message: 'ok', data: instance });
      calls++;
      most = Math.max(most, workers().length);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await update).data).toMatchObject({ code: 'E_PROJECT_LOAD', cause: 'E_TIMEOUT' });
    expect(calls).toBeGreaterThan(10);
    // The serving worker, the candidate (the spare it was) and the next spare, booted as the candidate was taken.
    expect(most).toBeLessThanOrEqual(3);
    await settled(); // the candidate discarded: the serving worker and one spare
    // The log thread writes a line a moment after the ack (seconds, on a loaded machine).
    // By time too: the command line of the update before this test (beforeAll's) may reach the file only after linesBefore (seen in CI).
    const isThisAck = (l: Record<string, unknown>) => l.event === 'command' && l.command === 'update' && (l.time as number) >= sentAt;
    await waitFor(() => t.logLines().slice(linesBefore).some(isThisAck), 10_000, "the update's command line");
    const lines = t.logLines().slice(linesBefore);
    const spawned = lines.filter((l) => l.msg === 'worker spawned' && (l.time as number) >= sentAt);
    expect(spawned.map((l) => l.reason)).toEqual(['standby']); // the candidate was the spare: no other process
    // The next spare was started as the candidate was taken, not after the update ended.
    const acked = lines.findIndex(isThisAck);
    expect(lines.indexOf(spawned[0]!)).toBeLessThan(acked);
    expect(statuses).toEqual([]);
    expect(servingPid()).toBe(pid);
  });
});

describe('a good update', () => {
  it('one status change (ready, a new generation, reason update); the load carries the upload\'s request id', async () => {
    await settled();
    const before = t.broker.supervisor.status();
    const statuses = collect<WorkerStatus>(c, 'worker_status');
    const linesBefore = t.logLines().length;
    const sentAt = Date.now();
    expect((await call(c, 'update', { data: versionProject('v2') })).status).toBe('success');
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v2');
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ state: 'ready', reason: 'update' });
    expect(statuses[0]!.generation).toBeGreaterThan(before.generation);
    // By time too: an earlier update's line may reach the file only after linesBefore.
    const succeeded = () => t.logLines().slice(linesBefore).filter((l) => l.command === 'update' && l.outcome === 'success' && (l.time as number) >= sentAt);
    await waitFor(() => succeeded().length > 0, 10_000, "the update's command line");
    const reqId = succeeded()[0]!.reqId;
    const lines = t.logLines();
    const loaded = lines.filter((l) => l.proc === 'worker' && l.msg === 'project loaded' && l.reqId === reqId);
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.gen).toBe(statuses[0]!.generation);
  });
});

describe('an update and a crash at once', () => {
  it('the serving worker dies while the update verifies: the update still lands, then the broker settles', async () => {
    await settled();
    markSeen();
    const update = call(c, 'update', { data: slowLoadingProject('v3', 1500) }, 30_000);
    await waitFor(() => candidatePid() !== undefined, 10_000, 'the candidate to load');
    process.kill(servingPid(), 'SIGKILL');
    expect((await update).status).toBe('success');
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v3');
    await settled();
  });

  it('the candidate dies while it loads: E_PROJECT_LOAD, the serving worker untouched', async () => {
    await settled();
    markSeen();
    const pid = servingPid();
    const update = call(c, 'update', { data: slowLoadingProject('v4', 3000) }, 30_000);
    await waitFor(() => candidatePid() !== undefined, 10_000, 'the candidate to be chosen');
    // Killed once its load has begun (the project prints as it is imported), not before the load is sent.
    await waitFor(() => t.logLines().some((l) => l.src === 'robot' && l.msg === 'loading v4'), 10_000, 'the candidate to load');
    process.kill(candidatePid()!, 'SIGKILL');
    expect((await update).data).toMatchObject({ code: 'E_PROJECT_LOAD', cause: 'E_WORKER_CRASHED' });
    expect(servingPid()).toBe(pid);
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v3');
    await settled();
  });

  it('the spare dies just before an update takes it: a fresh worker verifies instead', async () => {
    await settled();
    const spare = workers().find((w) => w.pid !== servingPid())!;
    process.kill(spare.pid, 'SIGKILL');
    expect((await call(c, 'update', { data: versionProject('v5') })).status).toBe('success');
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v5');
    await settled();
  });
});

// Log lines of earlier tests are not this test's.
const seen = new Set<string>();
function markSeen(): void {
  for (const l of t.logLines()) seen.add(JSON.stringify(l));
}
/** The pid of the update candidate now loading, once the supervisor has said which it is. */
function candidatePid(): number | undefined {
  const line = t.logLines().find((l) => l.msg === 'update: loading the staged release' && !seen.has(JSON.stringify(l)));
  return line?.workerPid as number | undefined;
}
