/**
 * The replay handshake, fuzzed (fast-check): any `auth.meta`, `auth.lastSeq` and
 * `auth.epoch` a client may send (numbers of every kind, strings, objects, arrays) gets a
 * well-formed answer: `replay_info` exactly when it asked for meta (`meta: true`, or a
 * lastSeq that is a whole number >= 0), at most the retained events, in order, after at
 * most one well-formed `replay_gap`; nothing else for the rest. The broker still answers
 * a call after every batch.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PushMeta, ReplayGap, ReplayInfo } from '../../dist/ipc/protocol.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { fuzzParams, fuzzRuns, soaking } from '../helpers/fuzz.js';
import { zipFiles } from '../helpers/zip.js';
import { openStream, type StreamAuth, type StreamClient } from './clients.js';

const RETAINED = 30;
const BATCH = 10;
const CASES_IN_TEST = 1000;
const TIME_LIMIT_MS = soaking ? 3_000_000 : 8000;
const ROBOT = `exports.robot = { burst(n) { for (let i = 0; i < n; i++) pushMessage('n', { i }); return n; } };`;

let t: TestBroker;
let driver: StreamClient;
beforeAll(async () => {
  t = await startTestBroker({ replay: { max_events: RETAINED } });
  driver = await openStream(t.url, { token: t.token });
  expect((await driver.emit('update', { data: zipFiles({ 'main.js': ROBOT }) }, 30_000)).status).toBe('success');
  expect((await driver.emit('process', { params: { object: 'robot', method: 'burst', args: [100] } })).data).toBe(100);
  // The call's answer can beat its pushes: a fuzz client that connected while they still
  // flowed would get them live (seen twice: 97 live events for a client that asked for none).
  await waitFor(() => driver.of('n').length >= 100, 10_000, 'the burst to reach the driver');
});
afterAll(async () => {
  driver?.close();
  await t?.close();
});

const oddNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 99, 100, 101, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER));
const anyValue = fc.oneof(oddNumber, fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }));
const auth = fc.record({ meta: anyValue, lastSeq: fc.oneof(oddNumber, anyValue), epoch: fc.oneof(anyValue, fc.constant('')) }, { requiredKeys: [] });

/** What the broker must do with it: ask for meta or not (JSON carries what the client sends; NaN and Infinity become null). */
function asksForMeta(a: Record<string, unknown>): boolean {
  const wire = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
  return wire.meta === true || (Number.isSafeInteger(wire.lastSeq) && (wire.lastSeq as number) >= 0);
}

async function check(a: Record<string, unknown>): Promise<void> {
  const what = JSON.stringify(a);
  const c = await openStream(t.url, { token: t.token, role: 'observer', ...a } as StreamAuth);
  try {
    // The replay is written in the connection's first turn; a call's answer comes after it.
    await c.emit('subscribe', { event: 'x', max_rate_hz: 1 });
    const infos = c.all.filter((r) => r.event === 'replay_info').map((r) => r.data as ReplayInfo);
    const gaps = c.all.filter((r) => r.event === 'replay_gap').map((r) => r.data as ReplayGap);
    const events = c.of('n');
    if (!asksForMeta(a)) {
      expect(infos, what).toEqual([]);
      expect(gaps, what).toEqual([]);
      expect(events, what).toEqual([]);
      return;
    }
    expect(infos, what).toHaveLength(1);
    expect(infos[0]!.replay, what).toBeLessThanOrEqual(RETAINED);
    expect(events.length, what).toBe(infos[0]!.replay);
    const seqs = events.map((r) => (r.meta as PushMeta).seq);
    for (let k = 1; k < seqs.length; k++) expect(seqs[k], what).toBe(seqs[k - 1]! + 1);
    expect(gaps.length, what).toBeLessThanOrEqual(1);
    for (const g of gaps) {
      expect(g.from, what).toBeGreaterThanOrEqual(1);
      expect(g.to, what).toBeGreaterThanOrEqual(g.from - 1);
      if (seqs.length) expect(g.to, what).toBeLessThan(seqs[0]!);
    }
  } finally {
    c.close();
  }
}

it('any replay handshake gets a well-formed answer; the broker goes on', async () => {
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(auth, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      await Promise.all(batch.map((a) => check(a as Record<string, unknown>)));
      // One live event; the next batch connects only once it has gone out (the driver has it), so
      // it is not live for them: the call's answer and the pushed event travel apart.
      const seen = driver.of('n').length;
      expect((await driver.emit('process', { params: { object: 'robot', method: 'burst', args: [1] } })).data).toBe(1);
      await waitFor(() => driver.of('n').length > seen, 10_000, 'the live event to reach the driver');
      cases += batch.length;
    }),
    { ...fuzzParams(0), numRuns: Math.ceil(fuzzRuns(CASES_IN_TEST) / BATCH), plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS, { failOnInterrupt: soaking })] },
  );
  console.log(`[fuzz] replay handshake: ${cases} cases`);
  await waitFor(() => t.broker.io.of('/').sockets.size === 1, 10_000, 'the fuzz clients to be released');
}, soaking ? 3_600_000 : 120_000);
