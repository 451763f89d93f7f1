/**
 * The controller paces the robot's pushes (server/push/pace.ts): while its write buffer is
 * half full, the broker reads no more pushes from the worker. A controller that stops
 * reading so gets every event of a flood far larger than the replay ring, in order, nothing
 * shed; and a hold that runs out (`websocket.controller_hold`) lets the robot's pushes go
 * on, the controller falling behind like any client. Real brokers, workers and clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShedReport } from '../../dist/ipc/protocol.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { openStream, type StreamClient } from './clients.js';

const LIMIT = 200;
const RING = 1000;
/** 32 MB in all: loopback's socket buffers take ~10 MB before the server's writes back up, its buffer LIMIT and the ring RING events; without pacing, over 1000 are lost. */
const N = 4000;
const BYTES = 8192;

const ROBOT = `
exports.robot = {
  flood(n, bytes) {
    const pad = 'x'.repeat(bytes);
    for (let i = 0; i < n; i++) pushMessage('big', { i, pad });
    return n;
  },
};
`;

const brokers: TestBroker[] = [];
const clients: StreamClient[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(brokers.map((b) => b.close()));
});

async function brokerWithRobot(controllerHold: number): Promise<{ t: TestBroker; c: StreamClient }> {
  const t = await startTestBroker({ websocket: { max_client_backlog: LIMIT, controller_hold: controllerHold }, replay: { max_events: RING } });
  brokers.push(t);
  const c = await openStream(t.url, { token: t.token, clientId: 'controller' });
  clients.push(c);
  expect((await c.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
  return { t, c };
}

const backlog = (t: TestBroker, c: StreamClient) =>
  (t.broker.io.of('/').sockets.get(c.socket.id!)?.conn as unknown as { writeBuffer: unknown[] } | undefined)?.writeBuffer.length ?? 0;

const pushedSoFar = async (t: TestBroker) =>
  ((await (await fetch(`${t.url}/stats`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as { pushes: { byEvent: Record<string, number> } }).pushes.byEvent.big ?? 0;

const sheds = (c: StreamClient) => c.of('events_shed').map((r) => r.data as ShedReport);
const indices = (c: StreamClient) => c.of('big').map((r) => (r.data as { i: number }).i);

describe('the controller paces the pushes', () => {
  let t: TestBroker;
  let c: StreamClient;
  beforeAll(async () => {
    ({ t, c } = await brokerWithRobot(120)); // a hold no loaded machine outlasts
  });

  it('a controller that stops reading holds the robot back and then gets every event of a flood four times the ring, in order', async () => {
    c.pause();
    const ack = c.emit('process', { params: { object: 'robot', method: 'flood', args: [N, BYTES] } }, 60_000);
    await waitFor(() => backlog(t, c) >= LIMIT / 2, 20_000, 'the controller to be backed up');
    // Held: the broker took only what fits the socket's buffers, its own and a message or two more, not the flood.
    expect(await pushedSoFar(t)).toBeLessThan(N / 2);
    c.resume();
    expect((await ack).data).toBe(N);
    await waitFor(() => c.of('big').length === N, 30_000, 'every event');
    expect(indices(c)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(sheds(c)).toEqual([]);
    expect(t.logLines().some((l) => l.event === 'pace_expired')).toBe(false);
  });
});

describe('a hold runs out', () => {
  it('after websocket.controller_hold the robot pushes on, and the stalled controller is told what it lost', async () => {
    const { t, c } = await brokerWithRobot(0.2);
    c.pause();
    const ack = c.emit('process', { params: { object: 'robot', method: 'flood', args: [N, BYTES] } }, 60_000);
    // The controller still reads nothing, yet the broker takes the whole flood: the hold ran out.
    await waitFor(async () => (await pushedSoFar(t)) === N, 30_000, 'the broker to take every push');
    await waitFor(() => t.logLines().some((l) => l.event === 'pace_expired'), 10_000, 'the pace_expired line');
    c.resume();
    expect((await ack).data).toBe(N);
    const shedTotal = () => sheds(c).reduce((n, r) => n + r.shed, 0);
    await waitFor(() => c.of('big').length + shedTotal() >= N && sheds(c).length > 0, 30_000, 'every push delivered or reported lost');
    expect(c.of('big').length + shedTotal()).toBe(N);
    const got = indices(c);
    for (let k = 1; k < got.length; k++) expect(got[k]!).toBeGreaterThan(got[k - 1]!);
  });
});
