/**
 * The Foxglove endpoint against a running broker, through @foxglove/ws-protocol's own
 * client over `ws`: channels and services as advertised, a 1,000-event flood in order,
 * a method called as a service (through the controller's command path), the project's
 * channels replaced by an update, and the token and the observer policy enforced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { connectFoxglove, type TestFoxglove } from './client.js';

const PROBE = `'use strict';
exports.probe = {
  flood(n) { for (let i = 0; i < n; i++) pushMessage('tick', { i, half: i / 2 }); return n; },
  mark() { pushMessage('tick', { i: -1, half: 0 }); },
  echo(x) { return x; },
  Fail() { throw new Error('probe says no'); },
};
`;
const OTHER = `'use strict';
exports.other = { beep() { pushMessage('beep', { at: 1 }); return 'beeped'; } };
`;

let open: TestBroker; // foxglove.allow_calls: true
let closed: TestBroker; // the default: observers only
let controller: Client;
const clients: TestFoxglove[] = [];

async function fox(t: TestBroker): Promise<TestFoxglove> {
  const c = await connectFoxglove(t.broker.foxglove!.url, { token: t.token });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  [open, closed] = await Promise.all([
    startTestBroker({ foxglove: { enabled: true, allow_calls: true } }),
    startTestBroker({ foxglove: { enabled: true } }),
  ]);
  controller = await open.connect();
  expect((await call(controller, 'update', { data: zipFiles({ 'main.js': PROBE }) })).status).toBe('success');
  expect((await call(controller, 'start', {})).status).toBe('success');
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([open?.close(), closed?.close()]);
});

describe('a Foxglove client', () => {
  it('sees the broker channels and the methods as services, and receives a 1,000-event flood in order', async () => {
    const f = await fox(open);
    await waitFor(() => f.topic('worker_status') !== undefined && f.service('probe.flood') !== undefined, 10_000, 'channels and services');
    expect([...f.channels.values()].map((c) => c.topic).sort()).toEqual(['/ack', '/command', 'robot_log', 'worker_status']);
    for (const c of f.channels.values()) expect(c.encoding).toBe('json');
    expect([...f.services.values()].map((s) => s.name).sort()).toEqual(['probe.Fail', 'probe.echo', 'probe.flood', 'probe.mark']);

    // The event's channel appears with its first push; its schema was inferred from it.
    expect((await call(controller, 'process', { params: { object: 'probe', method: 'flood', args: [1] } })).status).toBe('success');
    await f.subscribe('tick');
    expect(JSON.parse(f.topic('tick')!.schema)).toMatchObject({ type: 'object', properties: { i: { type: 'number' }, half: { type: 'number' } } });
    // Robot output: whoever emits robot_log on the broker's events reaches Foxglove, nothing else to wire.
    await f.subscribe('robot_log');
    const line = { stream: 'stdout' as const, line: 'hello from the robot', ts: Date.now(), generation: 1 };
    await waitFor(() => {
      open.broker.events.emit('robot_log', line);
      return f.received.some((m) => m.channel === 'robot_log');
    }, 10_000, 'a robot_log message');
    expect(f.received.find((m) => m.channel === 'robot_log')).toMatchObject({ data: line, timestamp: BigInt(line.ts) * 1_000_000n });
    f.received.length = 0;

    // Subscribing has no answer: push marks (i = -1) until one arrives, then flood.
    await waitFor(async () => {
      await call(controller, 'process', { params: { object: 'probe', method: 'mark' } });
      return f.received.length > 0;
    }, 10_000, 'the subscription to take effect');
    const before = BigInt(Date.now()) * 1_000_000n;
    expect((await call(controller, 'process', { params: { object: 'probe', method: 'flood', args: [1000] } })).status).toBe('success');
    const flood = () => f.received.filter((m) => (m.data as { i: number }).i >= 0);
    await waitFor(() => flood().length >= 1000, 15_000, '1,000 messages');
    const after = BigInt(Date.now()) * 1_000_000n;
    const got = flood();
    expect(got.map((m) => (m.data as { i: number }).i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (let i = 1; i < got.length; i++) expect(got[i]!.timestamp >= got[i - 1]!.timestamp).toBe(true);
    // Each message is stamped with the time the broker saw the push, in ns.
    expect(got[0]!.timestamp >= before - 1_000_000n && got.at(-1)!.timestamp <= after).toBe(true);
  });

  it('calls a method as a service and gets its return value, through the command path', async () => {
    const f = await fox(open);
    expect(await f.call('probe.echo', '[{"x": [1, 2, 3]}]')).toEqual({ x: [1, 2, 3] });
    expect(await f.call('probe.echo', '{"whole": true}')).toEqual({ whole: true });
    await expect(f.call('probe.Fail', '')).rejects.toThrow(/^E_METHOD_FAILED: .*probe says no/);
    await expect(f.call('probe.echo', 'not json')).rejects.toThrow(/^E_INVALID_PAYLOAD/);
    await expect(f.call('probe.echo', '42')).rejects.toThrow(/^E_INVALID_PAYLOAD: params.args/);
    // The controller's path: each call logged as a command, from this Foxglove client.
    await waitFor(() => open.logLines().some((l) => l.event === 'command' && l.method === 'Fail' && l.code === 'E_METHOD_FAILED'), 5000, 'the command log line');
    const stats = (await (await fetch(`${open.url}/stats?token=${open.token}`)).json()) as { foxglove: { clients: number; calls: Record<string, number> } };
    expect(stats.foxglove.calls.ok).toBeGreaterThanOrEqual(2);
    expect(stats.foxglove.clients).toBeGreaterThanOrEqual(1);
  });

  it('follows the project: an update removes its channels and services, the new one brings its own', async () => {
    const f = await fox(open);
    await waitFor(() => f.topic('tick') !== undefined && f.service('probe.echo') !== undefined, 10_000, 'the probe project');
    const tick = f.topic('tick')!.id;
    expect((await call(controller, 'update', { data: zipFiles({ 'main.js': OTHER }) })).status).toBe('success');
    await waitFor(() => f.removed.includes(tick) && f.service('other.beep') !== undefined && f.service('probe.echo') === undefined, 10_000, 'the new project');
    expect(await f.call('other.beep', '')).toBe('beeped');
    await waitFor(() => f.topic('beep') !== undefined, 5000, 'the new event channel');
    expect(f.topic('tick')).toBeUndefined();
  });
});

describe('who may connect and call', () => {
  it('refuses a connection without the token, or with a wrong one, as an auth failure', async () => {
    const url = closed.broker.foxglove!.url;
    await expect(connectFoxglove(url)).rejects.toThrow('401');
    await expect(connectFoxglove(url, { token: 'wrong' })).rejects.toThrow('401');
    await expect(connectFoxglove(url, { token: closed.token, protocols: ['not-foxglove'] })).rejects.toThrow('400');
    const viaHeader = await connectFoxglove(url, { bearer: closed.token });
    clients.push(viaHeader);
    const stats = (await (await fetch(`${closed.url}/stats?token=${closed.token}`)).json()) as { security: { authFailures: Record<string, number> } };
    expect(stats.security.authFailures.foxglove).toBe(2);
    await waitFor(() => closed.logLines().filter((l) => l.event === 'auth_failed' && l.surface === 'foxglove').length === 2, 5000, 'two auth_failed lines');
    expect(JSON.stringify(closed.logLines())).not.toContain('"wrong"');
  });

  it('lets an observer see services but answers its calls E_NOT_CONTROLLER, and sends nothing to the robot', async () => {
    const c = await closed.connect();
    expect((await call(c, 'start', {})).status).toBe('success');
    const f = await fox(closed);
    await expect(f.call('sport_client.StandUp', '')).rejects.toThrow(/^E_NOT_CONTROLLER/);
    const status = await call<{ posture: string }>(c, 'process', { params: { object: 'sport_client', method: 'GetStatus' } });
    expect(status.status === 'success' && status.data.posture).toBe('lying');
    await waitFor(() => closed.logLines().some((l) => l.event === 'foxglove_call_refused'), 5000, 'the refusal log line');
    await closed.closeClients();
  });
});
