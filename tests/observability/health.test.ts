/** GET /health: 200 when both processes are ready, 503 with the reason otherwise; no auth, no secrets. */
import { afterEach, describe, expect, it } from 'vitest';
import { call, startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { get } from './helpers.js';

let t: TestBroker | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('GET /health', () => {
  it('answers 200 ok without a token, and says nothing secret', async () => {
    t = await startTestBroker();
    const r = await get(t.url, '/health');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(r.json).toMatchObject({ status: 'ok', server: 'ready', worker: 'ready', generation: 1, restarts: 0 });
    expect(r.text).not.toContain(t.token);
    expect(r.json).not.toHaveProperty('pid');
    // HEAD works too, for health checkers that only look at the status.
    const head = await fetch(new URL('/health', t.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers 503 with the reason once the worker is SIGKILLed into the failed state, and 200 again after start', async () => {
    // No quick restarts allowed: the first crash leaves the worker `failed`, a state that stays put.
    t = await startTestBroker({ worker: { restart_limit: 0 } });
    const pid = t.broker.supervisor.status().pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => t!.broker.supervisor.status().state === 'failed', 10_000, 'the failed state');
    const r = await get(t.url, '/health');
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ status: 'unavailable', server: 'ready', worker: 'failed' });
    expect(String(r.json.reason)).toMatch(/^worker failed: crash: .*SIGKILL/);

    // `start` clears the failed state; health follows.
    const c = await t.connect();
    const ack = await call(c, 'start', {});
    expect(ack.status).toBe('success');
    const again = await get(t.url, '/health');
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: 'ok', worker: 'ready', generation: 2 });
  });

  it('answers 503 "heartbeat stale" while the worker is frozen, and 200 once it answers again', async () => {
    t = await startTestBroker();
    const pid = t.broker.supervisor.status().pid!;
    // SIGSTOP: the process is alive and "ready", but its event loop answers nothing.
    process.kill(pid, 'SIGSTOP');
    try {
      let last: Awaited<ReturnType<typeof get<Record<string, unknown>>>> | undefined;
      await waitFor(async () => (last = await get(t!.url, '/health')).status === 503, 10_000, 'a 503');
      expect(last!.json).toMatchObject({ status: 'unavailable' });
      expect(String(last!.json.reason)).toMatch(/heartbeat stale|worker (restarting|starting)/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Either it woke in time or the supervisor replaced it: both end ready.
    await waitFor(async () => (await get(t!.url, '/health')).status === 200, 15_000, 'a 200 again');
  });
});
