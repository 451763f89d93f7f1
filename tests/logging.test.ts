/** Logs: every command with its request id, duration and outcome; worker lines with pid and generation; never a token. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callMethod, connectClient, startTestBroker, waitFor, type TestBroker } from './helpers/broker.js';

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker({ auth: { token: 'sekret-token-value-123' } });
});
afterAll(async () => {
  await t?.close();
});

it('logs each command exactly once with reqId, ms and outcome, and never the token', async () => {
  await expect(connectClient(t.url, { token: 'sekret-token-value-124' })).rejects.toThrow('unauthorized');
  const c = await t.connect();
  await callMethod(c, 'sport_client', 'StandUp');
  await callMethod(c, 'sport_client', 'Nope');
  await waitFor(() => t.logLines().filter((l) => l.event === 'command' && l.command === 'process').length >= 2, 5000, 'command lines');
  const commands = t.logLines().filter((l) => l.event === 'command' && l.command === 'process');
  expect(commands[0]).toMatchObject({ object: 'sport_client', method: 'StandUp', outcome: 'success' });
  expect(commands[1]).toMatchObject({ method: 'Nope', outcome: 'error', code: 'E_UNKNOWN_METHOD' });
  for (const l of commands) {
    expect(typeof l.reqId).toBe('number');
    expect(typeof l.ms).toBe('number');
  }
  expect(commands).toHaveLength(2);
  expect(commands[0]!.reqId).not.toBe(commands[1]!.reqId);
  const worker = t.logLines().find((l) => l.proc === 'worker' && l.msg === 'worker ready');
  expect(worker).toMatchObject({ gen: 1 });
  expect(typeof worker!.pid).toBe('number');
  expect(worker!.pid).not.toBe(process.pid);
  expect(t.logLines().some((l) => l.event === 'auth_failed')).toBe(true);
  const raw = JSON.stringify(t.logLines());
  expect(raw).not.toContain('sekret-token-value-12');
});
