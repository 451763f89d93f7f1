/**
 * Bad input at the edge: every malformed payload gets E_INVALID_PAYLOAD naming the
 * field, unknown events and missing acks are answered, oversized messages are
 * refused, a connect storm admits one, a slow client is shed with a report.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ShedReport } from '../dist/ipc/protocol.js';
import { call, callMethod, collect, connectClient, startTestBroker, waitFor, type Client, type TestBroker } from './helpers/broker.js';
import { fixtureZip, zipFiles } from './helpers/zip.js';

let t: TestBroker;
beforeAll(async () => {
  // controller_hold 0.5: the slow-client test below waits for the controller's pace budget to run out (server/push/pace.ts).
  t = await startTestBroker({ websocket: { max_message_size: 1_000_000, max_client_backlog: 50, controller_hold: 0.5 }, worker: { max_execution_time: 10 } });
});
afterEach(async () => {
  await t.closeClients();
});
afterAll(async () => {
  await t?.close();
});

function code(ack: { data: unknown }): string | undefined {
  return (ack.data as { code?: string } | null)?.code;
}

describe('payload validation', () => {
  it.each([
    ['process', undefined, 'params'],
    ['process', {}, 'params'],
    ['process', { params: null }, 'params'],
    ['process', { params: { method: 'StandUp' } }, 'params.object'],
    ['process', { params: { object: 7, method: 'StandUp' } }, 'params.object'],
    ['process', { params: { object: 'sport_client', method: '' } }, 'params.method'],
    ['process', { params: { object: 'x'.repeat(100_000), method: 'StandUp' } }, 'params.object'],
    ['process', { params: { object: 'sport_client', method: 'Move', args: 'fast' } }, 'params.args'],
    ['update', {}, 'data'],
    ['update', { data: 42 }, 'data'],
    ['update', { data: '!!! not base64 !!!' }, 'data'],
    ['start', 'go', '(payload)'],
  ])('%s payload #%# -> E_INVALID_PAYLOAD naming %s', async (event, payload, field) => {
    const c = await t.connect();
    const r = await call(c, event as 'process', payload);
    expect(r.status).toBe('error');
    expect(r.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field });
    c.close();
  });

  it('answers unknown events and commands sent without an ack callback', async () => {
    const c = await t.connect();
    const errors = collect<{ message: string; data: { code: string } }>(c, 'broker_error');
    const r = await (c.timeout(5000) as unknown as { emitWithAck(e: string, p: unknown): Promise<{ data: unknown }> }).emitWithAck('reboot', {});
    expect(code(r)).toBe('E_UNKNOWN_EVENT');
    (c as unknown as { emit(e: string, p: unknown): void }).emit('process', { params: { object: 'sport_client', method: 'GetStatus' } });
    (c as unknown as { emit(e: string, p: unknown): void }).emit('selfdestruct', {});
    await waitFor(() => errors.length >= 2, 5000, 'two broker_error events');
    expect(errors.map((e) => e.data.code).sort()).toEqual(['E_NO_ACK', 'E_UNKNOWN_EVENT']);
    c.close();
  });

  it('survives 5,000 random payloads at every event and still answers correctly', async () => {
    const c = await t.connect();
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const value = (depth = 0): unknown => {
      const kind = Math.floor(rand() * (depth > 2 ? 6 : 9));
      switch (kind) {
        case 0: return null;
        case 1: return rand() * 1e6 - 5e5;
        case 2: return pick(['', 'sport_client', 'StandUp', '__proto__', 'constructor', 'x'.repeat(300), '💥', 'toString']);
        case 3: return rand() < 0.5;
        case 4: return Buffer.from([1, 2, 3, Math.floor(rand() * 255)]);
        case 5: return undefined;
        case 6: return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
        case 7: return { params: { object: value(depth + 1), method: value(depth + 1), args: value(depth + 1) } };
        default: return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [pick(['data', 'zip_data', 'params', '__proto__', 'object', 'x']), value(depth + 1)]));
      }
    };
    const events = ['process', 'update', 'start', 'nonsense'];
    let answered = 0;
    const batch = 250;
    for (let i = 0; i < 5000 * events.length; i += batch) {
      const acks = Array.from({ length: batch }, (_, j) => call(c, events[(i + j) % events.length] as 'process', value(), 20_000));
      for (const ack of await Promise.all(acks)) {
        expect(['success', 'error']).toContain(ack.status);
        if (ack.status === 'error') expect(code(ack)).toMatch(/^E_/);
        answered++;
      }
    }
    expect(answered).toBe(20_000);
    expect((await callMethod(c, 'sport_client', 'StandUp')).data).toEqual({ posture: 'standing' });
    c.close();
  }, 120_000);
});

describe('sizes and storms', () => {
  it('refuses a project over max_message_size with E_TOO_LARGE; one far over it closes only that connection', async () => {
    const c = await t.connect();
    const big = Buffer.alloc(1_200_000, 7);
    const r = await call(c, 'update', { data: big });
    expect(r.data).toMatchObject({ code: 'E_TOO_LARGE', limit: 1_000_000 });
    const gone = new Promise<string>((resolve) => c.once('disconnect', resolve));
    c.emit('update', { data: Buffer.alloc(3_000_000, 7) }, () => {});
    expect(await gone).toMatch(/transport (close|error)/);
    const next = await t.connect();
    expect((await callMethod(next, 'sport_client', 'GetStatus')).status).toBe('success');
    next.close();
  });

  it('a connect storm of 40 clients admits exactly one', async () => {
    await waitFor(() => t.broker.io.of('/').sockets.size === 0, 5000, 'no client');
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => connectClient(t.url, { token: t.token })));
    const admitted = results.filter((r): r is PromiseFulfilledResult<Client> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(admitted).toHaveLength(1);
    expect(refused.every((r) => (r.reason as Error).message === 'busy')).toBe(true);
    admitted[0]!.value.close();
  });
});

describe('a client too slow to keep up', () => {
  it('falls behind past max_client_backlog and, reading again, gets every push from the replay ring, in order', async () => {
    const c = await t.connect();
    expect((await call(c, 'update', { data: fixtureZip('faulty') })).status).toBe('success');
    const got = collect<{ i: number }>(c, 'big');
    const reports = collect<ShedReport>(c, 'events_shed');
    // Stop reading from the TCP socket: the server's writes back up, as with a slow link.
    const tcp = (c.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    tcp.pause();
    const ack = call(c, 'process', { params: { object: 'faulty', method: 'floodBig', args: [5000, 2048] } }, 30_000);
    const backlog = () => (t.broker.io.of('/').sockets.get(c.id!)?.conn as unknown as { writeBuffer: unknown[] } | undefined)?.writeBuffer.length ?? 0;
    await waitFor(() => backlog() >= 50, 15_000, 'the server to be held up by the paused reader');
    // Once the controller's pace budget is spent, the broker takes the flood again and the write buffer stays at the
    // limit: the rest waits in the ring (5000 x 2 KB: well within replay.max_bytes).
    await waitFor(async () => ((await (await fetch(`${t.url}/stats`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as { pushes: { byEvent: Record<string, number> } }).pushes.byEvent.big === 5000, 15_000, 'the whole flood pushed');
    expect(backlog()).toBeLessThanOrEqual(51);
    tcp.resume();
    expect((await ack).data).toBe(5000);
    await waitFor(() => got.length === 5000, 15_000, 'every event');
    expect(got.map((e) => e.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(reports).toEqual([]);
    c.close();
  });
});

describe('bad uploads lose nothing', () => {
  it('a ZIP with no entry module is refused and the previous project still answers', async () => {
    const c = await t.connect();
    const r = await call(c, 'update', { data: zipFiles({ 'readme.txt': 'no code here' }) });
    expect(code(r)).toBe('E_NO_ENTRY');
    expect((await call(c, 'start', {})).status).toBe('success');
    c.close();
  });
});
