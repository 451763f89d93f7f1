/**
 * Hostile frames on the Foxglove endpoint from an authenticated client: malformed JSON,
 * unknown ops, subscriptions to nothing, truncated and random binary frames, service
 * calls with junk ids, encodings and bodies. The broker never falls over, each bad
 * message is logged, and afterwards a well-formed client still subscribes and calls.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { zipFiles } from '../helpers/zip.js';
import { connectFoxglove } from './client.js';

let t: TestBroker;

beforeAll(async () => {
  t = await startTestBroker({ foxglove: { enabled: true, allow_calls: true } });
  const c = await t.connect();
  const probe = `exports.probe = { echo(x) { return x; }, ping() { pushMessage('answer', { ok: true }); return 1; } };`;
  expect((await call(c, 'update', { data: zipFiles({ 'main.js': probe }) })).status).toBe('success');
  expect((await call(c, 'start', {})).status).toBe('success');
  await t.closeClients();
});

afterAll(async () => {
  await t?.close();
});

const OPS = ['subscribe', 'unsubscribe', 'advertise', 'unadvertise', 'getParameters', 'setParameters', 'subscribeParameterUpdates', 'fetchAsset', 'subscribeConnectionGraph', 'nope'];

/** A service call request frame: opcode 2, service id, call id, encoding, body (any of them junk). */
const serviceCall = fc.record({ service: fc.integer({ min: 0, max: 20 }), callId: fc.nat(), encoding: fc.oneof(fc.constant('json'), fc.string({ maxLength: 10 })), body: fc.oneof(fc.json(), fc.string(), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1'))) }).map(({ service, callId, encoding, body }) => {
  const enc = Buffer.from(encoding);
  const data = Buffer.from(body, 'latin1');
  const frame = Buffer.alloc(13 + enc.length + data.length);
  frame.writeUInt8(2, 0);
  frame.writeUInt32LE(service, 1);
  frame.writeUInt32LE(callId % 2 ** 32, 5);
  frame.writeUInt32LE(enc.length, 9);
  enc.copy(frame, 13);
  data.copy(frame, 13 + enc.length);
  return frame;
});

const frame = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.record({ op: fc.constantFrom(...OPS), subscriptions: fc.anything(), subscriptionIds: fc.anything(), channels: fc.anything(), channelIds: fc.anything(), parameterNames: fc.anything() }, { requiredKeys: ['op'] }).map((m) => JSON.stringify(m)),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  serviceCall,
  serviceCall.map((b) => b.subarray(0, Math.max(1, b.length - 7))),
);

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.broker.foxglove!.url}?token=${t.token}`, ['foxglove.websocket.v1']);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

it('survives hostile frames, logs them, and serves a well-formed client afterwards', { timeout: 90_000 }, async () => {
  let ws = await open();
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
      if (ws.readyState !== WebSocket.OPEN) ws = await open();
      for (const f of frames) ws.send(f);
    }),
    { ...fuzzParams(300), interruptAfterTimeLimit: 20_000 },
  );
  ws.close();

  const f = await connectFoxglove(t.broker.foxglove!.url, { token: t.token });
  try {
    expect(await f.call('probe.echo', '[{"still": "here"}]')).toEqual({ still: 'here' });
    const c = await t.connect();
    expect((await call(c, 'process', { params: { object: 'probe', method: 'ping' } })).status).toBe('success');
    await f.subscribe('answer');
    await waitFor(async () => {
      await call(c, 'process', { params: { object: 'probe', method: 'ping' } });
      return f.received.length > 0;
    }, 10_000, 'an answer on the subscription');
  } finally {
    f.close();
  }
  // The log thread writes the line a moment later (seconds, on a loaded machine).
  await waitFor(() => t.logLines().some((l) => l.event === 'foxglove_bad_message'), 10_000, 'the bad frames in the log').catch(() => {});
  expect(t.logLines().some((l) => l.event === 'foxglove_bad_message')).toBe(true);
  expect(t.logLines().filter((l) => (l.level as number) >= 50)).toEqual([]);
});
