/**
 * The heartbeat tells a busy worker from a wedged one (issue #10, item 3): a legal
 * 40 MB `process` (20,000,000 numbers) keeps a worker parsing for seconds, during
 * which it cannot answer a ping; it must not be killed for it. (A worker wedged in an
 * endless loop still is: tests/faults.test.ts.)
 *
 * The broker runs as a process of its own: the client here encodes the same 40 MB, and
 * sharing one event loop with the server would only test how long both take together.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WorkerStatus } from '../../dist/ipc/protocol.js';
import { call, callMethod, collect, connectClient, type Client } from '../helpers/broker.js';
import { configYaml, killLeftovers, startServerProcess, type ServerProcess } from './server-process.js';
import { versionProject } from './support.js';

let s: ServerProcess;
let c: Client;
beforeAll(async () => {
  // A 2 s heartbeat deadline: without the allowance for big frames, parsing 40 MB blows it.
  s = await startServerProcess({ yaml: configYaml().replace('  heartbeat_interval: 0.25', '  heartbeat_interval: 0.25\n  heartbeat_timeout: 2') });
  c = await connectClient(s.url, { token: s.token });
  expect((await call(c, 'update', { data: versionProject('big') })).status).toBe('success');
});
afterAll(() => {
  c?.close();
  killLeftovers();
});

it('a 20,000,000-number argument (~40 MB) is answered; the worker that parsed it is not killed', async () => {
  const statuses = collect<WorkerStatus>(c, 'worker_status');
  const pid = (await callMethod(c, 'probe', 'instance')).data;
  const numbers = new Array<number>(20_000_000).fill(7);
  const r = await callMethod(c, 'probe', 'count', [numbers], 150_000);
  expect(r, JSON.stringify(r).slice(0, 300)).toMatchObject({ status: 'success', data: 20_000_000 });
  expect((await callMethod(c, 'probe', 'instance')).data).toBe(pid);
  expect(statuses).toEqual([]);
  expect(s.output()).not.toMatch(/wedged/);
}, 180_000);
