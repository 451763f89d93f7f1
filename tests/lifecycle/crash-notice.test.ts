/**
 * Crashes are told, not hidden (issue #11, part 5): the client's worker_status says why
 * the worker died, how it exited, and that robot state was reset, once; events.log
 * records it (/stats: tests/observability/stats.test.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WorkerStatus } from '../../dist/ipc/protocol.js';
import { callMethod, collect, readLog, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { fixtureZip } from '../helpers/zip.js';
import { brokerRunning } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  ({ t, c } = await brokerRunning(fixtureZip('faulty')));
});
afterAll(async () => {
  await t?.close();
});

it('a crash: one status that says why, how it exited and that state was lost; then ready; events.log has both', async () => {
  const statuses = collect<WorkerStatus>(c, 'worker_status');
  expect((await callMethod(c, 'faulty', 'exit')).status).toBe('success'); // exits with code 3 from a timer
  await waitFor(() => statuses.some((s) => s.state === 'ready'), 15_000, 'the worker back');
  expect(statuses).toHaveLength(2);
  expect(statuses[0]).toMatchObject({ state: 'restarting', reason: 'crash: exit code 3', stateLost: true, exit: { code: 3, signal: null }, pid: null });
  expect(statuses[1]).toMatchObject({ state: 'ready', reason: 'crash: exit code 3' });
  expect(statuses[1]!.stateLost).toBeUndefined();
  await waitFor(() => readLog(t.config.log.events_file).some((l) => l.event === 'worker_state' && l.stateLost === true), 5000, 'the events log line');
  const line = readLog(t.config.log.events_file).find((l) => l.event === 'worker_state' && l.stateLost === true)!;
  expect(line).toMatchObject({ state: 'restarting', reason: 'crash: exit code 3', exit: { code: 3, signal: null } });
});
