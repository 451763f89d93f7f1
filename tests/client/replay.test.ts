/**
 * The SDK and the broker's push stream (docs/REPLAY.md), a real broker: a client whose link
 * is cut mid-flood reconnects with its lastSeq and gets every event once, in order; what the
 * ring no longer holds is told as a `replay_gap`; `subscribe` throttles, and is sent again
 * after a reconnect. Every wait is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError, RobotClient, type PushMeta, type ReplayGap, type RobotClientOptions, type ReplayInfo } from '../../dist/client/index.js';
import { waitFor } from '../helpers/broker.js';
import { useStreamBroker } from './push-stream.js';

interface Received {
  event: string;
  data: unknown;
  meta: PushMeta | undefined;
}

/** A StreamBroker, and observers (beside its driver) recording everything the broker sends them. */
function useBroker(overrides: Parameters<typeof useStreamBroker>[0] = {}) {
  const sb = useStreamBroker(overrides);
  const clients: RobotClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  const observer = (options: Partial<RobotClientOptions> = {}) => {
    const c = new RobotClient({ url: sb.t.url, token: sb.t.token, role: 'observer', callTimeoutMs: 30_000, ...options });
    clients.push(c);
    const got: Received[] = [];
    c.onAny((event, data, meta) => got.push({ event, data, meta }));
    return { c, got };
  };
  return { sb, observer };
}

const pushes = (got: Received[], event: string) => got.filter((r) => r.event === event);
const indexes = (got: Received[], event: string) => pushes(got, event).map((r) => (r.data as { i: number }).i);

describe('replay on reconnect', () => {
  const { sb, observer } = useBroker();

  it('a client cut off mid-flood reconnects with its lastSeq and gets every event exactly once, in order', { timeout: 90_000 }, async () => {
    const N = 1000;
    const { c, got } = observer();
    const streams: ReplayInfo[] = [];
    c.on('replay_info', (s) => streams.push(s));
    const disconnects: string[] = [];
    c.on('disconnect', (reason) => disconnects.push(reason));
    await c.connect({ timeoutMs: 20_000 });
    expect(c.epoch).toBe(streams[0]!.epoch);
    const first = streams[0]!.seq;

    // Cut under the flood, and keep the client out until the next flood is in the ring: what
    // it missed comes from the replay, whatever the machine's timing.
    const release = sb.holdNextConnection(c.clientId);
    const dropped = new Promise<void>((resolve) => c.once('disconnect', () => resolve()));
    c.on('n', (data) => {
      if ((data as { i: number }).i === 50) sb.cut(c.clientId);
    });
    expect(await sb.driver.call('robot', 'flood', [N])).toBe(N);
    await dropped;
    await sb.flood(N, N);
    release();
    // Then one more event: whatever came twice would have come before it.
    await sb.driver.call('robot', 'mark');
    await waitFor(() => pushes(got, 'mark').length === 1, 60_000, 'the mark after the floods');

    expect(disconnects).toEqual(['transport close']);
    // The reconnect's handshake carried the position: the broker replayed what came after it.
    const [, again] = streams;
    expect(again).toMatchObject({ epoch: streams[0]!.epoch });
    expect(again!.replay).toBeGreaterThanOrEqual(N);
    const servers = [...sb.t.broker.io.of('/').sockets.values()].filter((s) => s.handshake.auth.clientId === c.clientId);
    expect(servers).toHaveLength(1);
    expect(servers[0]!.handshake.auth).toMatchObject({ meta: true, epoch: streams[0]!.epoch, lastSeq: again!.seq - again!.replay });
    expect(servers[0]!.handshake.auth.lastSeq).toBeGreaterThan(first + 50);

    expect(indexes(got, 'n')).toEqual(Array.from({ length: 2 * N }, (_, i) => i));
    const seqs = pushes(got, 'n').map((r) => r.meta!.seq);
    expect(seqs).toEqual(Array.from({ length: 2 * N }, (_, i) => first + 1 + i));
    expect(got.filter((r) => r.event === 'replay_gap')).toEqual([]);
    // Broker events carry no meta; lastSeq is the last event's.
    expect(got.filter((r) => r.event === 'worker_status').every((r) => r.meta === undefined)).toBe(true);
    expect(c.lastSeq).toBe(pushes(got, 'mark')[0]!.meta!.seq);
  });

  it('subscribe() throttles a "latest" event for this client only, and is sent again after a reconnect', { timeout: 90_000 }, async () => {
    const { c, got } = observer();
    await c.connect({ timeoutMs: 20_000 });
    expect(await c.subscribe('pose', 5)).toEqual({ subscriptions: { pose: { max_rate_hz: 5 } } });
    const driverPoses: number[] = [];
    const onPose = (data: unknown) => driverPoses.push((data as { i: number }).i);
    sb.driver.on('pose', onPose);
    try {
      const N = 40;
      const began = Date.now();
      await sb.driver.call('robot', 'poses', [N, 10]);
      // The newest is never held back longer than one interval.
      await waitFor(() => indexes(got, 'pose').at(-1) === N - 1, 10_000, 'the last pose');
      const seconds = (Date.now() - began) / 1000;
      const poses = indexes(got, 'pose');
      expect(poses.length).toBeGreaterThanOrEqual(2);
      expect(poses.length).toBeLessThanOrEqual(Math.ceil(seconds * 5) + 2);
      expect(poses).toEqual([...poses].sort((a, b) => a - b));
      // The driver did not subscribe: it got every one.
      await waitFor(() => driverPoses.length === N, 10_000, 'the driver to get every pose');
    } finally {
      sb.driver.off('pose', onPose);
    }

    // The broker forgets throttles with the connection; the SDK sends them again. An answer on
    // the same socket comes after the re-sent subscribe, so it shows both.
    const reconnected = new Promise<void>((resolve) => c.once('connect', () => resolve()));
    sb.cut(c.clientId);
    await reconnected;
    expect(await c.subscribe('other', 1)).toEqual({ subscriptions: { pose: { max_rate_hz: 5 }, other: { max_rate_hz: 1 } } });

    // A refused rate rejects with the broker's code, and leaves the throttle as it was.
    const refused = await c.subscribe('other', 5000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokerError);
    expect(refused).toMatchObject({ code: 'E_INVALID_PAYLOAD', details: { field: 'max_rate_hz' } });
    expect(await c.unsubscribe('pose')).toEqual({ subscriptions: { other: { max_rate_hz: 1 } } });
  });
});

describe('replay_gap', () => {
  const { sb, observer } = useBroker({ replay: { max_events: 50 } });

  it('says exactly which events the ring no longer held, then replays the rest in order', { timeout: 60_000 }, async () => {
    // A client that saw the stream up to now, then left.
    const { c: gone } = observer();
    await gone.connect({ timeoutMs: 20_000 });
    const before = { lastSeq: gone.lastSeq!, epoch: gone.epoch! };
    await gone.close();
    const last = await sb.flood(200);
    expect(last).toBe(before.lastSeq + 200);

    // A program that restarted: it resumes from the position it kept.
    const { c, got } = observer(before);
    const gaps: ReplayGap[] = [];
    c.on('replay_gap', (gap) => gaps.push(gap));
    await c.connect({ timeoutMs: 20_000 });
    await waitFor(() => indexes(got, 'n').at(-1) === 199, 20_000, 'the replay');

    expect(gaps).toEqual([{ from: before.lastSeq + 1, to: last - 50, reason: 'evicted' }]);
    // The gap comes before the events after it; the 50 retained come in order.
    const order = got.filter((r) => r.event === 'replay_gap' || r.event === 'n').map((r) => r.event);
    expect(order).toEqual(['replay_gap', ...Array<string>(50).fill('n')]);
    expect(indexes(got, 'n')).toEqual(Array.from({ length: 50 }, (_, i) => 150 + i));
    expect(c.lastSeq).toBe(last);
  });

  it('another epoch is a broker restart: a `restart` gap, and this run replayed from its first retained event', { timeout: 60_000 }, async () => {
    const lastSeq = await sb.flood(60);
    const { c, got } = observer({ lastSeq, epoch: 'another-run' });
    const gap = new Promise<ReplayGap>((resolve) => c.once('replay_gap', resolve));
    await c.connect({ timeoutMs: 20_000 });
    const retainedFrom = lastSeq - 50 + 1;
    expect(await gap).toEqual({ from: 1, to: retainedFrom - 1, reason: 'restart' });
    await waitFor(() => (c.lastSeq ?? 0) >= lastSeq, 20_000, 'the replay of this run');
    expect(pushes(got, 'n').map((r) => r.meta!.seq)).toEqual(Array.from({ length: 50 }, (_, i) => retainedFrom + i));
    expect(c.epoch).not.toBe('another-run');
  });
});
