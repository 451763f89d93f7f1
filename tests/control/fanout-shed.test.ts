/**
 * Fan-out keeps shedding per client: an observer that stops reading falls behind and,
 * with a replay ring too small for what it missed, has pushes shed (and is told), while
 * the controller beside it gets every one, in order.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ShedReport } from '../../dist/ipc/protocol.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { connectAs, type LeaseClient } from './clients.js';

const LIMIT = 200;
const N = 1000;
/** Pushed per call: the test waits for the controller to have each batch, so its write buffer never nears LIMIT, however loaded the machine. */
const BATCH = 50;

const ROBOT = `
exports.robot = {
  batch(from, n, bytes) {
    const pad = 'x'.repeat(bytes);
    for (let i = from; i < from + n; i++) pushMessage('big', { i, pad });
    return n;
  },
};
`;

let t: TestBroker;
const open: LeaseClient[] = [];
beforeAll(async () => {
  // A ring of 300 events: the observer, behind for most of the 1000, loses what leaves it.
  t = await startTestBroker({ websocket: { max_client_backlog: LIMIT }, replay: { max_events: 300 } });
});
afterAll(async () => {
  for (const c of open) c.close();
  await t?.close();
});

it('sheds only for the observer that stopped reading; the controller gets every push in order', async () => {
  const a = await connectAs(t.url, { token: t.token, clientId: 'reader' });
  const slow = await connectAs(t.url, { token: t.token, role: 'observer' });
  open.push(a, slow);
  expect((await a.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
  // Stop reading from the observer's TCP socket: the server's writes to it back up, as with a slow link.
  const tcp = (slow.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
  tcp.pause();
  for (let from = 0; from < N; from += BATCH) {
    expect((await a.emit('process', { params: { object: 'robot', method: 'batch', args: [from, BATCH, 16_384] } }, 30_000)).data).toBe(BATCH);
    await waitFor(() => a.count('big') >= from + BATCH, 10_000, 'the controller to get the batch');
  }
  await waitFor(() => t.logLines().some((l) => l.event === 'events_shed'), 5000, 'the observer to be shed');
  tcp.resume();
  const sheds = () => slow.seen.filter(([e]) => e === 'events_shed').map(([, d]) => d as ShedReport);
  const shedTotal = () => sheds().reduce((n, r) => n + r.shed, 0);
  await waitFor(() => sheds().length > 0 && slow.count('big') + shedTotal() >= N, 20_000, 'all the observer\'s pushes accounted for');
  expect(shedTotal()).toBeGreaterThan(0);
  expect(slow.count('big') + shedTotal()).toBe(N);
  expect(sheds().at(-1)).toMatchObject({ limit: LIMIT, total: shedTotal() });
  const slowGot = slow.seen.filter(([e]) => e === 'big').map(([, d]) => (d as { i: number }).i);
  for (let k = 1; k < slowGot.length; k++) expect(slowGot[k]!).toBeGreaterThan(slowGot[k - 1]!);
  // The controller: everything, in order, nothing shed.
  const got = a.seen.filter(([e]) => e === 'big').map(([, d]) => (d as { i: number }).i);
  expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
  expect(a.count('events_shed')).toBe(0);
});
