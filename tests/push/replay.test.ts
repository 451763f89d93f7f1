/**
 * Sequence numbers, replay after a dropped link, QoS under backpressure, per-client
 * throttles (docs/REPLAY.md): real broker, real worker, real Socket.IO over loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushMeta, ShedReport, SubscriptionsResult } from '../../dist/ipc/protocol.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { openStream, openWhenFree, type StreamClient } from './clients.js';

const ROBOT = `
let timer = null;
let held = null;
const every = (ms, tick) => { clearInterval(timer); timer = setInterval(() => { if (!tick()) clearInterval(timer); }, ms); };
exports.robot = {
  burst(from, n) { for (let i = from; i < from + n; i++) pushMessage('n', { i }); return n; },
  /** n numbered events, \`per\` every \`ms\`: a flood that lasts a while; held after \`holdAt\` until release(). */
  flood(n, per, ms, holdAt = n) {
    let i = 0;
    const tick = () => {
      for (let k = 0; k < per && i < holdAt; k++) pushMessage('n', { i: i++ });
      if (i === holdAt && i < n) held = () => { holdAt = n; every(ms, tick); };
      return i < holdAt;
    };
    every(ms, tick);
    return n;
  },
  release() { const go = held; held = null; go?.(); return go !== null; },
  /** \`ticks\` of 100 Hz "latest" telemetry padded to \`pad\` bytes, and an "all" state change every 10th tick. */
  mixed(ticks, pad) {
    const p = 'x'.repeat(pad); let i = 0;
    every(10, () => { pushMessage('odom', { i, p }, { qos: 'latest' }); if (i % 10 === 9) pushMessage('state', { k: (i - 9) / 10 }); i++; return i < ticks; });
    return ticks;
  },
  /** \`ticks\` of "latest" telemetry every \`ms\`. */
  tele(ticks, ms) { let i = 0; every(ms, () => { pushMessage('tel', { i: i++ }, { qos: 'latest' }); return i < ticks; }); return ticks; },
  badQos() { pushMessage('x', 1, { qos: 'sometimes' }); },
};
`;

const PYTHON = `
push_message = None

class Robot:
    def tele(self, n):
        for i in range(n):
            push_message("tel", {"i": i}, qos="latest")
        return n

    def bad(self):
        push_message("tel", 1, qos="sometimes")

robot = Robot()
`;

const is = (r: { data: unknown }) => (r.data as { i: number }).i;
const seqs = (c: StreamClient, event: string) => c.of(event).map((r) => r.meta!.seq);

async function call(c: StreamClient, method: string, args: unknown[] = []) {
  const r = await c.emit('process', { params: { object: 'robot', method, args } }, 30_000);
  expect(r.status, JSON.stringify(r)).toBe('success');
  return r.data;
}

const shedTotal = (c: StreamClient) => (c.of('events_shed').at(-1)?.data as ShedReport | undefined)?.total ?? 0;

/**
 * A client that was never paused (the controller): the newest tick arrives and they come in
 * order. On a loaded machine its own buffer can pass the parking threshold too: what it then
 * missed was replaced by a newer tick and counted to it (events_shed), never lost silently.
 */
async function keptUp(c: StreamClient, ticks: number, shedBefore: number): Promise<void> {
  await waitFor(() => c.of('odom').some((r) => is(r) === ticks - 1), 10_000, 'the newest odom at the controller');
  const got = c.of('odom').map(is);
  for (let k = 1; k < got.length; k++) expect(got[k]!).toBeGreaterThan(got[k - 1]!);
  await waitFor(() => got.length + shedTotal(c) - shedBefore === ticks, 10_000, `the controller's ${ticks - got.length} missed odom ticks counted as shed`);
}

describe('the push stream', () => {
  let t: TestBroker;
  let driver: StreamClient;
  const open: StreamClient[] = [];
  const observer = async (extra: { lastSeq?: number; epoch?: string; meta?: boolean } = { meta: true }) => {
    const c = await openStream(t.url, { token: t.token, role: 'observer', ...extra });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    // A ring that holds every test's events; a small backlog so a paused reader falls behind quickly.
    t = await startTestBroker({ websocket: { max_client_backlog: 20 }, replay: { max_events: 100_000, max_bytes: 256 * 1024 * 1024 } });
    driver = await openStream(t.url, { token: t.token });
    open.push(driver);
    expect((await driver.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.close();
  });

  it('numbers every event by one across a worker restart; only clients that ask get (data, meta)', async () => {
    const o = await observer();
    await call(driver, 'burst', [0, 5]);
    expect((await driver.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
    await call(driver, 'burst', [5, 5]);
    await waitFor(() => o.of('n').length === 10 && driver.of('n').length === 10, 10_000, 'both clients to get 10 events');
    const s = seqs(o, 'n');
    expect(s).toEqual(Array.from({ length: 10 }, (_, k) => s[0]! + k));
    expect(o.of('n').map(is)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const meta = o.of('n')[0]!.meta as PushMeta;
    expect(meta.ts).toBeGreaterThan(Date.now() - 60_000);
    expect(meta.reqId).toBeGreaterThan(0); // pushed inside the burst call
    expect(o.streams()[0]).toMatchObject({ epoch: expect.any(String), replay: 0 });
    // The seed's clients: one argument, no stream event.
    expect(driver.of('n').every((r) => r.args === 1)).toBe(true);
    expect(driver.streams()).toHaveLength(0);
    o.close();
  });

  it('a client cut mid-flood reconnects with lastSeq and gets every event exactly once, in order', async () => {
    const N = 3000;
    const o = await observer();
    const epoch = o.streams()[0]!.epoch;
    const before = driver.of('n').length;
    // Held halfway, so that events are pushed while the client is away however loaded the machine.
    await call(driver, 'flood', [N, 30, 10, N / 2]);
    await waitFor(() => o.of('n').length >= 300, 20_000, 'the observer to be mid-flood');
    // Cut the transport under it: what was on the wire is gone.
    o.socket.io.engine.close();
    const lastSeq = o.lastSeq();
    // Away while the robot pushes on: what it misses waits in the ring.
    await waitFor(() => driver.of('n').length - before >= N / 2, 30_000, 'the robot to reach its hold');
    expect(await call(driver, 'release')).toBe(true);
    await waitFor(() => driver.of('n').length - before >= N / 2 + 100, 30_000, 'more events while it is away');
    const again = await observer({ lastSeq, epoch });
    await waitFor(() => driver.of('n').length - before === N, 30_000, 'the flood to end');
    await waitFor(() => o.of('n').length + again.of('n').length >= N, 30_000, 'the observer to get the whole flood');
    const got = [...o.of('n'), ...again.of('n')];
    expect(got.map(is)).toEqual(Array.from({ length: N }, (_, i) => i));
    const s = got.map((r) => r.meta!.seq);
    expect(s).toEqual(Array.from({ length: N }, (_, k) => s[0]! + k));
    expect(again.streams()[0]).toMatchObject({ epoch, seq: expect.any(Number) });
    expect(again.streams()[0]!.replay).toBeGreaterThanOrEqual(100); // what was pushed while it was away: replayed
    expect(again.gaps()).toEqual([]);
    again.close();
  });

  it('a paused reader gets every "all" event while the 100 Hz "latest" stream is reduced to what it can take', async () => {
    const TICKS = 400;
    const o = await observer();
    const driverOdom = driver.of('odom').length;
    const driverShed = shedTotal(driver);
    await call(driver, 'mixed', [TICKS, 32_768]);
    o.pause();
    const server = () => t.broker.io.of('/').sockets.get(o.socket.id!);
    const backlog = () => (server()?.conn as unknown as { writeBuffer: unknown[] } | undefined)?.writeBuffer.length ?? 0;
    await waitFor(() => backlog() >= 20, 30_000, 'the server to be held up by the paused reader');
    await waitFor(() => driver.of('state').length >= TICKS / 10, 30_000, 'the robot to finish');
    o.resume();
    await waitFor(() => o.of('state').length === TICKS / 10 && o.of('odom').some((r) => is(r) === TICKS - 1), 30_000, 'every state change and the newest odom');
    expect(o.of('state').map((r) => (r.data as { k: number }).k)).toEqual(Array.from({ length: TICKS / 10 }, (_, k) => k));
    const odom = o.of('odom').map(is);
    expect(odom.length).toBeLessThan(TICKS);
    for (let k = 1; k < odom.length; k++) expect(odom[k]!).toBeGreaterThan(odom[k - 1]!);
    // What it did not get is counted: replaced "latest" events, never an "all" one, and no gap.
    await waitFor(() => o.of('events_shed').length > 0 && (o.of('events_shed').at(-1)!.data as ShedReport).total === TICKS - odom.length, 10_000, 'the shed report');
    expect(o.gaps()).toEqual([]);
    expect(driverOdom).toBe(0);
    await keptUp(driver, TICKS, driverShed);
    o.close();
  });

  it('subscribe throttles a "latest" event for that client only; the newest always arrives', async () => {
    const TICKS = 120;
    const o = await observer();
    const sub = await o.emit<SubscriptionsResult>('subscribe', { event: 'tel', max_rate_hz: 5 });
    expect(sub).toMatchObject({ status: 'success', data: { subscriptions: { tel: { max_rate_hz: 5 } } } });
    const before = driver.of('tel').length;
    const started = Date.now();
    await call(driver, 'tele', [TICKS, 10]);
    await waitFor(() => driver.of('tel').length - before === TICKS, 30_000, 'the controller to get every tick');
    await waitFor(() => o.of('tel').some((r) => is(r) === TICKS - 1), 10_000, 'the newest tick');
    const ms = Date.now() - started;
    const got = o.of('tel').length;
    expect(got).toBeGreaterThanOrEqual(2);
    expect(got).toBeLessThanOrEqual(Math.ceil(ms / 200) + 1);
    expect((await o.emit<SubscriptionsResult>('unsubscribe', { event: 'tel' })).data).toEqual({ subscriptions: {} });
    o.close();
  });

  it('bad subscribe payloads and a bad qos answer E_INVALID_PAYLOAD; the next call works', async () => {
    const o = await observer();
    for (const bad of [undefined, {}, { event: '' }, { event: 'tel' }, { event: 'tel', max_rate_hz: 0 }, { event: 'tel', max_rate_hz: 1e6 }, { event: 'tel', max_rate_hz: '5' }, { event: 'x'.repeat(201), max_rate_hz: 1 }]) {
      const r = await o.emit('subscribe', bad);
      expect(r, JSON.stringify(bad)).toMatchObject({ status: 'error', data: { code: 'E_INVALID_PAYLOAD' } });
    }
    const qos = await driver.emit('process', { params: { object: 'robot', method: 'badQos', args: [] } });
    expect(qos).toMatchObject({ status: 'error', data: { code: 'E_INVALID_PAYLOAD' } });
    expect(await call(driver, 'burst', [0, 1])).toBe(1);
    o.close();
  });

  it('Python projects push with qos="latest"; another qos is refused with E_INVALID_PAYLOAD', async () => {
    const o = await observer();
    expect((await driver.emit('update', { data: zipFiles({ 'main.py': PYTHON }) }, 60_000)).status).toBe('success');
    expect(await call(driver, 'tele', [3])).toBe(3);
    await waitFor(() => o.of('tel').filter((r) => is(r) === 2).length === 1, 10_000, 'the Python pushes');
    expect((await driver.emit('process', { params: { object: 'robot', method: 'bad', args: [] } })).data).toMatchObject({ code: 'E_INVALID_PAYLOAD' });
    expect((await driver.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
    o.close();
  });
});

describe('a slow reader with the default backlog (10,000 packets)', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gets every "all" event without waiting behind the "latest" ones: those are parked, the newest per name', async () => {
    const TICKS = 300;
    const driver = await openWhenFree(t.url, { token: t.token });
    const o = await openStream(t.url, { token: t.token, role: 'observer', meta: true });
    try {
      expect((await driver.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
      o.pause();
      await call(driver, 'mixed', [TICKS, 32_768]);
      await waitFor(() => driver.of('state').length >= TICKS / 10, 30_000, 'the robot to finish');
      // Far under max_client_backlog: the old rule wrote all 300 to the write buffer, queued ahead of the state changes.
      o.resume();
      await waitFor(() => o.of('state').length === TICKS / 10 && o.of('odom').some((r) => is(r) === TICKS - 1), 30_000, 'every state change and the newest odom');
      expect(o.of('state').map((r) => (r.data as { k: number }).k)).toEqual(Array.from({ length: TICKS / 10 }, (_, k) => k));
      const odom = o.of('odom').length;
      expect(odom).toBeLessThan(TICKS);
      await waitFor(() => o.of('events_shed').length > 0 && (o.of('events_shed').at(-1)!.data as ShedReport).total === TICKS - odom, 10_000, 'the shed report');
      expect(o.gaps()).toEqual([]);
      await keptUp(driver, TICKS, 0);
    } finally {
      o.close();
      driver.close();
    }
  });
});

describe('a ring too small for the outage', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ replay: { max_events: 100 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('replays what it kept after one replay_gap naming exactly what it did not', async () => {
    const driver = await openWhenFree(t.url, { token: t.token });
    try {
      expect((await driver.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
      const o = await openStream(t.url, { token: t.token, role: 'observer', meta: true });
      await call(driver, 'burst', [0, 10]);
      await waitFor(() => o.of('n').length === 10, 10_000, 'the first 10');
      const { epoch } = o.streams()[0]!;
      const lastSeq = o.lastSeq();
      o.close();
      // While it is away: 500 more, 100 kept.
      await call(driver, 'burst', [10, 500]);
      // The call's answer and its events travel apart: come back once all 500 are in the ring (the driver has them).
      await waitFor(() => driver.of('n').length === 510, 10_000, 'the 500 at the driver');
      const back = await openStream(t.url, { token: t.token, role: 'observer', lastSeq, epoch });
      await waitFor(() => back.of('n').length >= 100, 10_000, 'the 100 retained');
      expect(back.streams()[0]).toMatchObject({ epoch, seq: lastSeq + 500, replay: 100 });
      expect(back.gaps()).toEqual([{ from: lastSeq + 1, to: lastSeq + 400, reason: 'evicted' }]);
      expect(back.all.findIndex((r) => r.event === 'replay_gap')).toBeLessThan(back.all.findIndex((r) => r.event === 'n'));
      expect(back.of('n').map(is)).toEqual(Array.from({ length: 100 }, (_, k) => 410 + k));
      // Another broker run's lastSeq: a restart gap, then this run's events.
      const other = await openStream(t.url, { token: t.token, role: 'observer', lastSeq: 3, epoch: 'another-run' });
      await waitFor(() => other.of('n').length === 100, 10_000, 'this run\'s retained events');
      expect(other.gaps()).toEqual([{ from: 1, to: lastSeq + 400, reason: 'restart' }]);
      back.close();
      other.close();
    } finally {
      driver.close();
    }
  });
});
