/**
 * A burst of pushes leaves the server in a few writes, not one per event: engine.io
 * hands the websocket every packet queued while the last write was out, and the server
 * corks the TCP socket for that hand-over (server/http/write-batch.ts). The writes are
 * counted on the server's real socket of the connection; the client gets every event,
 * in order.
 */
import { afterAll, expect, it } from 'vitest';
import { call, callMethod, collect, startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { fixtureZip } from '../helpers/zip.js';

let t: TestBroker | undefined;
afterAll(async () => {
  await t?.close();
});

const EVENTS = 5000;

it(`a flood of ${EVENTS} pushes reaches the client in order, written in batches`, async () => {
  t = await startTestBroker();
  const c = await t.connect();
  expect((await call(c, 'update', { data: fixtureZip('faulty') })).status).toBe('success');
  const server = t.broker.io.of('/').sockets.get(c.id!);
  const tcp = (server?.conn.transport as unknown as { socket?: { _socket?: { _writev?: unknown; _write?: unknown } } }).socket?._socket;
  expect(typeof tcp?._writev, 'the connection is a websocket over a net.Socket').toBe('function');
  let writes = 0;
  for (const name of ['_writev', '_write'] as const) {
    const original = tcp![name] as (...args: unknown[]) => unknown;
    tcp![name] = function counted(this: unknown, ...args: unknown[]) {
      writes++;
      return original.apply(this, args);
    };
  }
  const got = collect<{ i: number }>(c, 'flood');
  expect((await callMethod(c, 'faulty', 'flood', [EVENTS], 30_000)).data).toBe(EVENTS);
  await waitFor(() => got.length >= EVENTS, 30_000, `${EVENTS} events`);
  expect(got.map((e) => e.i)).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
  // One write per event without the batching (5,001 on the build before); 24 with it, on a quiet machine.
  expect(writes).toBeLessThan(EVENTS / 4);
});
