/** GET /stats: token required; the figures follow what a real client does. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, collect, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { get } from './helpers.js';
import type { StatsSnapshot } from '../../dist/server/observability/stats-snapshot.js';

// The /stats body is the snapshot type the broker serves: a renamed field breaks this file's build.
type Stats = StatsSnapshot;

let t: TestBroker;
let c: Client;
const stats = async (): Promise<Stats> => {
  const r = await get<Stats>(t.url, '/stats', t.token);
  expect(r.status).toBe(200);
  return r.json;
};

beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

describe('GET /stats', () => {
  it('needs the token: 401 without it or with a wrong one; Bearer and ?token= both work', async () => {
    const none = await get(t.url, '/stats');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.json).toMatchObject({ code: 'E_UNAUTHORIZED' });
    expect((await get(t.url, '/stats', 'wrong')).status).toBe(401);
    expect((await get(t.url, '/stats', { query: 'wrong' })).status).toBe(401);
    expect((await get(t.url, '/stats', t.token)).status).toBe(200);
    expect((await get(t.url, '/stats', { query: t.token })).status).toBe(200);
    expect((await stats()).security.authFailures.stats).toBe(3);
  });

  it('shows no client before one connects, then the client and since when', async () => {
    expect((await stats()).client).toEqual({ connected: false, since: null, address: null, heartbeat: null });
    const before = Date.now();
    c = await t.connect();
    const s = await stats();
    expect(s.client.connected).toBe(true);
    expect(Date.parse(s.client.since!)).toBeGreaterThanOrEqual(before - 1000);
    expect(s.client.address).toMatch(/127\.0\.0\.1/);
    // The Socket.IO heartbeat: the round trip is null until the first ping (every 25 s by default).
    expect(s.client.heartbeat).toMatchObject({ lastSeenAt: expect.any(String) });
    expect(s.connections.accepted).toBe(1);
  });

  it('counts commands, per-method calls with p50/p95, errors by code, traffic, and learns the project', async () => {
    const base = await stats();
    expect((await call(c, 'start', {})).status).toBe('success');
    for (let i = 0; i < 5; i++) expect((await callMethod(c, 'sport_client', 'StandUp')).status).toBe('success');
    expect((await callMethod(c, 'nope', 'x')).status).toBe('error');
    expect((await callMethod(c, 'sport_client', 'Nope')).status).toBe('error');
    const s = await stats();

    expect(s.commands.start).toMatchObject({ count: 1, errors: 0 });
    expect(s.commands.process).toMatchObject({ count: 7, errors: 2 });
    expect(s.commands.process!.p50Ms).toBeLessThanOrEqual(s.commands.process!.p95Ms!);
    expect(s.methods['sport_client.StandUp']).toMatchObject({ count: 5, errors: 0 });
    expect(s.methods['sport_client.StandUp']!.p50Ms).toBeGreaterThan(0);
    // Calls that never reached a method are errors, not rows in the method table.
    expect(Object.keys(s.methods)).toEqual(['sport_client.StandUp']);
    expect(s.errors.byCode).toMatchObject({ E_UNKNOWN_OBJECT: 1, E_UNKNOWN_METHOD: 1 });

    // 8 commands in, 8 acks out (plus worker_status on connect), each with bytes.
    expect(s.traffic.client.messagesIn - base.traffic.client.messagesIn).toBeGreaterThanOrEqual(8);
    expect(s.traffic.client.messagesOut - base.traffic.client.messagesOut).toBeGreaterThanOrEqual(8);
    expect(s.traffic.client.bytesIn).toBeGreaterThan(base.traffic.client.bytesIn);
    expect(s.traffic.client.bytesOut).toBeGreaterThan(base.traffic.client.bytesOut);

    expect(s.project).toMatchObject({ type: 'javascript', entry: 'main.js', uploadedAt: null });
    expect(s.project!.objects).toContain('sport_client');
    expect(typeof s.project!.loadedAt).toBe('string');
  });

  it('shows the worker and its heartbeat round trip', async () => {
    await waitFor(async () => (await stats()).worker.heartbeat.rttMs !== null, 10_000, 'a worker heartbeat');
    const s = await stats();
    expect(s.worker).toMatchObject({ state: 'ready', generation: 1, pid: t.broker.supervisor.status().pid, restarts: 0, lastExit: null });
    expect(s.worker.spares).toEqual({ kept: 0, ready: 0, booting: 0 }); // the test broker keeps none
    expect(s.worker.heartbeat.rttMs).toBeGreaterThanOrEqual(0);
    expect(typeof s.worker.heartbeat.lastPongAt).toBe('string');
    expect(s.uptime.seconds).toBeGreaterThanOrEqual(0);
  });

  it('counts pushed events by name', async () => {
    const got = collect(c, 'recognition_result');
    expect((await callMethod(c, 'recognition', 'Start', { interval_ms: 20 })).status).toBe('success');
    await waitFor(() => got.length >= 3, 10_000, 'three recognition_result pushes');
    await callMethod(c, 'recognition', 'Stop');
    const s = await stats();
    expect(s.pushes.byEvent.recognition_result).toBeGreaterThanOrEqual(got.length);
    expect(s.pushes.delivered).toBeGreaterThanOrEqual(got.length);
    expect(s.pushes.shed).toBe(0);
  });

  it('learns an uploaded project from the update ack', async () => {
    const zip = zipFiles({ 'main.js': 'exports.arm = { wave() { return "hi"; } };\n' });
    const ack = await call(c, 'update', { data: zip.toString('base64') });
    expect(ack.status).toBe('success');
    const s = await stats();
    expect(s.project).toMatchObject({ type: 'javascript', entry: 'main.js', files: 1 });
    expect(s.project!.bytes).toBeGreaterThan(0);
    expect(typeof s.project!.uploadedAt).toBe('string');
    expect(s.commands.update).toMatchObject({ count: 1, errors: 0 });
  });

  it('shows the restart count and the last exit reason after a crash', async () => {
    const { pid, generation } = t.broker.supervisor.status();
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => t.broker.supervisor.status().state === 'ready' && t.broker.supervisor.status().generation > generation!, 15_000, 'the restarted worker');
    const s = await stats();
    expect(s.worker.restarts).toBe(1);
    expect(s.worker.lastExit).toMatchObject({ signal: 'SIGKILL' });
    expect(s.worker.lastExit!.reason).toMatch(/SIGKILL/);
    expect(s.worker.lastCrash).toMatchObject({ reason: 'crash: killed by SIGKILL', exit: { code: null, signal: 'SIGKILL' }, stateLost: true });
    expect(Date.parse(s.worker.lastCrash!.at)).toBeGreaterThan(0);
    expect(s.worker.pid).not.toBe(pid);
  });

  it('counts a refused client and the client leaving', async () => {
    await expect(t.connect({ token: 'wrong' })).rejects.toThrow('unauthorized');
    c.close();
    await waitFor(async () => !(await stats()).client.connected, 5000, 'the client to leave');
    const s = await stats();
    expect(s.connections).toMatchObject({ accepted: 1, disconnected: 1, refused: { unauthorized: 1 } });
    expect(s.errors.byCode.E_UNAUTHORIZED).toBe(1);
    expect(s.security.authFailures['socket.io']).toBe(1);
  });
});
