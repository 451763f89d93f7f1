/** Every row of the protocol, against a real broker, worker and ZeroMQ. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, collect, connectClient, startTestBroker, waitFor, waitForFreeSlot, type TestBroker } from './helpers/broker.js';
import { zipFiles } from './helpers/zip.js';

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

const ROBOT = `
let pushed = 0;
exports.robot = {
  echo(...args) { return { args }; },
  add(a, b) { return a + b; },
  whole(opts) { return { got: opts, count: arguments.length }; },
  none() { return { count: arguments.length }; },
  async slow(ms) { await new Promise((r) => setTimeout(r, ms)); return 'slow done'; },
  fail() { throw new Error('robot says no'); },
  push(n) { for (let i = 0; i < n; i++) pushMessage('tick', { i }); return n; },
  pushReserved(name) { pushMessage(name, {}); },
  stop() { pushMessage('stopped', { at: Date.now() }); },
  _private() { return 'secret'; },
};
`;

describe('auth and the single-client rule', () => {
  it('refuses a wrong or missing token with "unauthorized"', async () => {
    await expect(connectClient(t.url, { token: 'wrong' })).rejects.toThrow('unauthorized');
    await expect(connectClient(t.url, {})).rejects.toThrow('unauthorized');
  });

  it('admits one client; another gets "busy"; the same clientId replaces the stale one', async () => {
    const a = await connectClient(t.url, { token: t.token, clientId: 'tab-1' });
    await expect(connectClient(t.url, { token: t.token, clientId: 'tab-2' })).rejects.toThrow('busy');
    await expect(connectClient(t.url, { token: t.token })).rejects.toThrow('busy');
    const aGone = new Promise((r) => a.once('disconnect', r));
    const b = await connectClient(t.url, { token: t.token, clientId: 'tab-1' });
    await aGone;
    expect((await callMethod(b, 'sport_client', 'GetStatus')).status).toBe('success');
    b.close();
    await waitForFreeSlot(t.url, t.token, 5000);
  });
});

describe('commands', () => {
  it('process works on a fresh storage with no update or start (default project on demand)', async () => {
    const c = await t.connect();
    const r = await callMethod<{ posture: string }>(c, 'sport_client', 'StandUp');
    expect(r).toEqual({ status: 'success', message: 'ok', data: { posture: 'standing' } });
    c.close();
  });

  it('update takes base64 `data`, the `zip_data` alias and a binary Buffer; start lists objects', async () => {
    const c = await t.connect();
    const zip = zipFiles({ 'main.js': ROBOT });
    for (const payload of [{ data: zip.toString('base64') }, { zip_data: zip.toString('base64') }, { data: zip }]) {
      const r = await call(c, 'update', payload);
      expect(r).toMatchObject({ status: 'success', data: { type: 'javascript', entry: 'main.js', files: 1, bytes: Buffer.byteLength(ROBOT) } });
    }
    const s = await call<{ objects: Record<string, string[]> }>(c, 'start', {});
    expect(s.status).toBe('success');
    expect((s.data as { objects: Record<string, string[]> }).objects.robot?.sort()).toEqual(['add', 'echo', 'fail', 'none', 'push', 'pushReserved', 'slow', 'stop', 'whole']);
    c.close();
  });

  it('spreads array args, passes object args whole, passes nothing when args is absent', async () => {
    const c = await t.connect();
    expect((await callMethod(c, 'robot', 'add', [2, 3])).data).toBe(5);
    expect((await callMethod(c, 'robot', 'whole', { x: 1 })).data).toEqual({ got: { x: 1 }, count: 1 });
    expect((await callMethod(c, 'robot', 'whole', {})).data).toEqual({ got: {}, count: 1 });
    expect((await callMethod(c, 'robot', 'none')).data).toEqual({ count: 0 });
    expect((await callMethod(c, 'robot', 'slow', [10])).data).toBe('slow done');
    c.close();
  });

  it('answers robot errors and unknown names with codes', async () => {
    const c = await t.connect();
    expect(await callMethod(c, 'robot', 'fail')).toMatchObject({ status: 'error', message: 'robot says no', data: { code: 'E_METHOD_FAILED' } });
    expect((await callMethod(c, 'nobody', 'x')).data).toMatchObject({ code: 'E_UNKNOWN_OBJECT' });
    expect((await callMethod(c, 'robot', 'nothing')).data).toMatchObject({ code: 'E_UNKNOWN_METHOD' });
    c.close();
  });

  it('never calls constructor, __proto__, prototype, inherited or private names', async () => {
    const c = await t.connect();
    for (const method of ['constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'isPrototypeOf', '_private']) {
      const r = await callMethod(c, 'robot', method, []);
      expect(r.status, method).toBe('error');
      expect((r.data as { code: string }).code, method).toBe('E_UNKNOWN_METHOD');
    }
    for (const object of ['__proto__', 'constructor', 'prototype', 'default', 'toString']) {
      expect(((await callMethod(c, object, 'echo')).data as { code: string }).code, object).toBe('E_UNKNOWN_OBJECT');
    }
    c.close();
  });

  it('a long async call does not block a later one', async () => {
    const c = await t.connect();
    const slow = callMethod(c, 'robot', 'slow', [1500]);
    const started = Date.now();
    const fast = await callMethod(c, 'robot', 'add', [1, 1]);
    expect(fast.data).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await slow).data).toBe('slow done');
    c.close();
  });
});

describe('pushed events', () => {
  it('relays pushMessage to the client, and refuses reserved names', async () => {
    const c = await t.connect();
    const ticks = collect<{ i: number }>(c, 'tick');
    expect((await callMethod(c, 'robot', 'push', [5])).data).toBe(5);
    await waitFor(() => ticks.length === 5, 5000, '5 ticks');
    expect(ticks.map((x) => x.i)).toEqual([0, 1, 2, 3, 4]);
    for (const name of ['connect', 'disconnect', 'connect_error', 'callback', 'worker_status']) {
      const r = await callMethod(c, 'robot', 'pushReserved', [name]);
      expect((r.data as { code: string }).code, name).toBe('E_RESERVED_EVENT');
    }
    c.close();
  });

  it('runs stop() hooks when the client leaves, keeping the project loaded', async () => {
    const c = await t.connect();
    await callMethod(c, 'robot', 'push', [0]);
    const before = t.logLines().length;
    c.close();
    const stopLine = () => t.logLines().slice(before).find((l) => l.msg === 'stop hooks ran');
    await waitFor(() => stopLine() !== undefined, 5000, 'stop hooks');
    const line = stopLine();
    expect(line?.stopped).toContain('robot.stop');
    const d = await t.connect();
    // Still loaded: no new "project loaded" line for the same generation.
    const loads = t.logLines().filter((l) => l.msg === 'project loaded').length;
    expect((await callMethod(d, 'robot', 'add', [1, 2])).data).toBe(3);
    expect(t.logLines().filter((l) => l.msg === 'project loaded').length).toBe(loads);
    d.close();
  });
});
