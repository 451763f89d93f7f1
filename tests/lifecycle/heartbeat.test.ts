/**
 * The heartbeat tells a busy worker from a wedged one (issue #10, item 3): a legal
 * 40 MB `process` (20,000,000 numbers) keeps a worker parsing for seconds, during
 * which it cannot answer a ping; it must not be killed for it. (A worker wedged in an
 * endless loop still is: tests/faults.test.ts.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WorkerStatus } from '../../dist/ipc/protocol.js';
import { callMethod, collect, type Client, type TestBroker } from '../helpers/broker.js';
import { brokerRunning, versionProject } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  // A 2 s heartbeat deadline: without the allowance for big frames, parsing 40 MB blows it.
  ({ t, c } = await brokerRunning(versionProject('big'), { heartbeat_interval: 0.25, heartbeat_timeout: 2 }));
});
afterAll(async () => {
  await t?.close();
});

it('a 20,000,000-number argument (~40 MB) is answered; the worker that parsed it is not killed', async () => {
  const statuses = collect<WorkerStatus>(c, 'worker_status');
  const pid = t.broker.supervisor.status().pid;
  const numbers = new Array<number>(20_000_000).fill(7);
  const r = await callMethod(c, 'probe', 'count', [numbers], 120_000);
  expect(r, JSON.stringify(r).slice(0, 300)).toMatchObject({ status: 'success', data: 20_000_000 });
  expect(t.broker.supervisor.status()).toMatchObject({ state: 'ready', pid });
  expect(statuses).toEqual([]);
  expect(t.logLines().filter((l) => /wedged/.test(String(l.msg)))).toEqual([]);
}, 180_000);
