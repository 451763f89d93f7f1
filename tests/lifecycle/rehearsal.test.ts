/**
 * An idle spare rehearses a load (worker/worker.ts `rehearse`): it loads the broker's own
 * tiny project once and forgets it, so the first real load runs on compiled code. The
 * rehearsal must leave nothing a client can see: the next project's listing, methods and
 * calls are its own. Real broker, real spare (sandboxed where bubblewrap works), real ZIPs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, callMethod, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { versionProject } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startTestBroker({ worker: { standby: true } });
  c = await t.connect();
});
afterAll(async () => {
  await t?.close();
});

const rehearsed = () => t.logLines().filter((l) => l.proc === 'worker' && l.msg === 'load rehearsed');

it('a spare left idle rehearses once; the project it then loads is all a client sees of it', async () => {
  const current = t.broker.supervisor.status().generation;
  await waitFor(() => rehearsed().some((l) => l.gen !== current), 20_000, 'the spare to rehearse a load');
  const spareGen = rehearsed().find((l) => l.gen !== current)!.gen;
  expect(rehearsed().filter((l) => l.gen === spareGen)).toHaveLength(1);
  expect(t.logLines().filter((l) => l.proc === 'worker' && /rehearsal failed/.test(String(l.msg)))).toEqual([]);

  expect((await call(c, 'update', { data: versionProject('v1') })).status).toBe('success');
  expect(t.broker.supervisor.status().generation).toBe(spareGen);
  const started = await call(c, 'start', {});
  expect(started.status).toBe('success');
  const listing = started.data as { objects: Record<string, string[]>; methods: Record<string, unknown> };
  expect(Object.keys(listing.objects)).toEqual(['probe']);
  expect(Object.keys(listing.methods ?? {})).not.toContain('rehearsal');
  expect((await callMethod(c, 'probe', 'add', [2, 3])).data).toBe(5);
  const r = await callMethod(c, 'rehearsal', 'add', [2, 3]);
  expect(r.status).toBe('error');
});
