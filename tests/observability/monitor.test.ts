/**
 * The /monitor namespace: authenticated, read-only, outside the single-client rule;
 * monitors see a real client's commands, acks, pushes and the worker's state as they happen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, collect, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { connectMonitor, get, type Monitor, type Seen } from './helpers.js';

let t: TestBroker;
let c: Client;
let a: Monitor;
let b: Monitor;
let seenA: Seen;
let seenB: Seen;

beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  a?.close();
  b?.close();
  await t?.close();
});

const of = (seen: Seen, event: string) => seen.filter((e) => e.event === event).map((e) => e.data);

describe('/monitor', () => {
  it('refuses a wrong or missing token with "unauthorized"', async () => {
    await expect(connectMonitor(t.url, 'wrong')).rejects.toThrow('unauthorized');
    await expect(connectMonitor(t.url, undefined)).rejects.toThrow('unauthorized');
    const s = await get<{ security: { authFailures: Record<string, number> } }>(t.url, '/stats', t.token);
    expect(s.json.security.authFailures.monitor).toBe(2);
  });

  it('admits several monitors alongside the one controlling client, and greets each with the present state', async () => {
    ({ monitor: a, seen: seenA } = await connectMonitor(t.url, t.token));
    c = await t.connect();
    // Monitors never count as the client: the robot is still free for one, and monitors keep coming.
    ({ monitor: b, seen: seenB } = await connectMonitor(t.url, t.token));
    await waitFor(() => of(seenB, 'worker_status').length > 0 && of(seenB, 'client').length > 0, 5000, 'the greeting');
    expect(of(seenB, 'worker_status')[0]).toMatchObject({ state: 'ready', generation: 1 });
    expect(of(seenB, 'client')[0]).toMatchObject({ state: 'connected', address: expect.stringMatching(/127\.0\.0\.1/) });
    // a was there when the client came.
    await waitFor(() => of(seenA, 'client').some((e) => e.state === 'connected'), 5000, 'the client event');
    const s = await get<{ monitors: { connected: number } }>(t.url, '/stats', t.token);
    expect(s.json.monitors.connected).toBe(2);
  });

  it('sees a real command and its ack, with the same reqId, while the client works', async () => {
    expect((await callMethod(c, 'sport_client', 'StandUp')).status).toBe('success');
    const ack = await callMethod(c, 'sport_client', 'Move', { vx: 0.2, vy: 0, vyaw: 0 });
    expect(ack.status).toBe('success');
    await callMethod(c, 'sport_client', 'StopMove');
    for (const seen of [seenA, seenB]) {
      await waitFor(() => of(seen, 'ack').filter((x) => x.method === 'Move').length === 1, 5000, 'the Move ack');
      const command = of(seen, 'command').find((x) => x.method === 'Move')!;
      expect(command).toMatchObject({ command: 'process', object: 'sport_client', method: 'Move', args: { vx: 0.2, vy: 0, vyaw: 0 } });
      const answer = of(seen, 'ack').find((x) => x.method === 'Move')!;
      expect(answer).toMatchObject({ reqId: command.reqId, command: 'process', status: 'success', object: 'sport_client', data: ack.data });
      expect(typeof answer.ms).toBe('number');
      // The command comes before its ack.
      expect(seen.findIndex((e) => e.data === command)).toBeLessThan(seen.findIndex((e) => e.data === answer));
    }
    const failed = await callMethod(c, 'sport_client', 'Nope');
    await waitFor(() => of(seenA, 'ack').some((x) => x.method === 'Nope'), 5000, 'the failed ack');
    expect(of(seenA, 'ack').find((x) => x.method === 'Nope')).toMatchObject({ status: 'error', data: failed.data });
  });

  it('sees the robot pushes and what became of them', async () => {
    const got = collect(c, 'recognition_result');
    await callMethod(c, 'recognition', 'Start', { interval_ms: 20 });
    await waitFor(() => of(seenA, 'push').filter((p) => p.event === 'recognition_result').length >= 3, 10_000, 'pushes on the monitor');
    await callMethod(c, 'recognition', 'Stop');
    const push = of(seenA, 'push').find((p) => p.event === 'recognition_result')!;
    expect(push).toMatchObject({ outcome: 'delivered', at: expect.any(Number), reqId: expect.any(Number) });
    expect(push.data).toEqual(got[0]);
  });

  it('sees an update as its size, never the ZIP itself', async () => {
    const zip = zipFiles({ 'main.js': 'exports.arm = { wave() { return "hi"; } };\n' });
    // Binary, so the size the monitor reports is exact (base64 sizes are estimated from the text).
    expect((await call(c, 'update', { data: zip })).status).toBe('success');
    await waitFor(() => of(seenA, 'ack').some((x) => x.command === 'update'), 10_000, 'the update ack');
    const command = of(seenA, 'command').find((x) => x.command === 'update')!;
    expect(command.bytes).toBe(zip.length);
    expect(command).not.toHaveProperty('data');
    // The update promoted a new worker (verified before the swap): the monitors saw one change.
    const last = of(seenA, 'worker_status').at(-1)!;
    expect(last).toMatchObject({ state: 'ready', reason: 'update' });
  });

  it('is read-only: what a monitor emits is refused and reaches no robot', async () => {
    const before = (await get<{ commands: Record<string, { count: number }> }>(t.url, '/stats', t.token)).json.commands.process!.count;
    const answer = await (a.timeout(5000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Record<string, unknown>> }).emitWithAck('process', {
      params: { object: 'arm', method: 'wave' },
    });
    expect(answer).toMatchObject({ status: 'error', data: { code: 'E_UNKNOWN_EVENT' } });
    expect(String(answer.message)).toMatch(/read-only/);
    (a as unknown as { emit(e: string, p: unknown): void }).emit('update', { data: 'AAAA' });
    const after = (await get<{ commands: Record<string, { count: number }> }>(t.url, '/stats', t.token)).json.commands.process!.count;
    expect(after).toBe(before);
    expect(a.connected).toBe(true);
  });

  it('sees a refused client, the client leaving and a crash restart', async () => {
    await expect(t.connect({ token: t.token, clientId: 'someone-else' })).rejects.toThrow('busy');
    await waitFor(() => of(seenB, 'client').some((e) => e.state === 'refused' && e.reason === 'busy'), 5000, 'the refusal');
    c.close();
    await waitFor(() => of(seenB, 'client').some((e) => e.state === 'disconnected'), 5000, 'the departure');
    const { pid } = t.broker.supervisor.status();
    const mark = seenB.length;
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => seenB.slice(mark).some((e) => e.event === 'worker_status' && e.data.state === 'ready'), 15_000, 'the restarted worker');
    const restarting = seenB.slice(mark).find((e) => e.event === 'worker_status' && e.data.state === 'restarting')!;
    expect(String(restarting.data.reason)).toMatch(/^crash: .*SIGKILL/);
  });

  it('counts the monitors leaving', async () => {
    a.close();
    b.close();
    await waitFor(async () => (await get<{ monitors: { connected: number } }>(t.url, '/stats', t.token)).json.monitors.connected === 0, 5000, 'no monitors');
  });
});
