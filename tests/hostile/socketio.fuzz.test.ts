/**
 * Socket.IO payloads, fuzzed (fast-check) through a real socket.io-client into a
 * real broker, with a /monitor watching: every event (`update`, `update_chunk`, `start`, `process`,
 * `subscribe`, `unsubscribe`, unknown names), every argument shape (payload and ack, ack only, extra arguments,
 * no ack, nothing), binary, deep and wide values, odd Unicode, huge numbers,
 * prototype-pollution keys, and raw packets nested far past what the client can
 * encode. Every case is answered exactly once (in its ack, or as `broker_error`
 * without one) with success or a documented code, never E_INTERNAL; after every
 * batch the broker still answers a call and `start` still lists the project.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../dist/ipc/errors.js';
import type { Ack } from '../../dist/ipc/protocol.js';
import { call, callMethod, collect, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { fuzzParams, fuzzRuns, soaking } from '../helpers/fuzz.js';
import { connectMonitor, type Monitor } from '../observability/helpers.js';
import { installProbe } from '../zip-safety/support.js';
import { nestedJson, rawCall, tracked } from './support.js';

/** Cases sent at once; the broker is checked after each batch. */
const BATCH = 20;
const CASES_IN_TEST = 3000;
/** npm test stops the property here (a pass: how many ran is printed, never asserted); the soak must run every case. */
const TIME_LIMIT_MS = soaking ? 3_000_000 : 8000;

let t: TestBroker;
let c: Client;
let monitor: Monitor;
beforeAll(async () => {
  // The default max_message_size: a message past the transport limit closes its connection by design (edge.test.ts).
  t = await startTestBroker();
  c = await t.connect();
  await installProbe(c, 'v1');
  ({ monitor } = await connectMonitor(t.url, t.token));
});
afterAll(async () => {
  monitor?.close();
  await t?.close();
});

// ---------------------------------------------------------------- values

/** A big value printed short in a counterexample (fast-check prints what a value's toStringMethod says). */
function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label, enumerable: false });
  return value;
}

const KEYS = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'params', 'object', 'method', 'args', 'data', 'zip_data'),
);
const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)), minLength: 1, maxLength: 4 });
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  loneSurrogates,
  fc.constantFrom('', '\u0000', '\u202e', '💥', 'e\u0301', '\uFEFF', '\r\n', 'probe', 'add', 'version', '__proto__', 'constructor', '_private'),
  fc.integer({ min: 0, max: 2 }).map((n) => 'x'.repeat(10 ** n)),
);
const bigString = fc.integer({ min: 3, max: 5 }).map((n) => labelled({ big: 'x'.repeat(10 ** n) }, `{ big: 'x' * 1e${n} }`));
const hugeNumber = fc.oneof(fc.double(), fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 5e-324, Number.NaN, Number.POSITIVE_INFINITY));
const binary = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
const leaf = fc.oneof(oddString, hugeNumber, fc.boolean(), fc.constant(null), fc.constant(undefined), binary);
/** Nested `depth` levels: under and over websocket.max_payload_depth, within what socket.io-client can encode. */
const deep = fc.tuple(fc.integer({ min: 1, max: 400 }), fc.boolean()).map(([depth, arrays]) => {
  let v: object = [0];
  for (let i = 1; i < depth; i++) v = arrays ? [v] : { a: v };
  return labelled(v, `nested(${depth} ${arrays ? 'arrays' : 'objects'})`);
});
const wide = fc.integer({ min: 0, max: 5000 }).map((n) => labelled(Array.from({ length: n }, (_, i) => i), `[0 .. ${n - 1}]`));
const value: fc.Arbitrary<unknown> = fc.oneof(
  leaf,
  fc.object({ key: KEYS, values: [leaf], maxDepth: 3, withNullPrototype: true, withTypedArray: true }),
  fc.array(leaf, { maxLength: 5 }),
  deep,
  wide,
  bigString,
);

const processPayload = fc.record(
  {
    params: fc.record(
      {
        object: fc.oneof(fc.constantFrom('probe', 'sport_client', '__proto__', 'constructor'), oddString, value),
        method: fc.oneof(fc.constantFrom('add', 'version', 'constructor', '__proto__', 'toString', '_private', 'stop'), oddString, value),
        args: fc.oneof(fc.array(value, { maxLength: 4 }), value),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const updatePayload = fc.record(
  { data: fc.oneof(fc.base64String({ maxLength: 200 }), binary, value), zip_data: fc.oneof(fc.base64String({ maxLength: 200 }), value) },
  { requiredKeys: [] },
);
/** Pieces of an upload: mostly small and near each other, so some fit and a few complete (an invalid ZIP, refused). */
const smallInt = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(-1, 0.5, 2 ** 53, 1e9, Number.NaN));
const chunkPayload = fc.record(
  { offset: fc.oneof(smallInt, value), total: fc.oneof(smallInt, value), data: fc.oneof(binary, fc.base64String({ maxLength: 40 }), value) },
  { requiredKeys: [] },
);
const subscribePayload = fc.record(
  { event: fc.oneof(oddString, fc.constant('tel')), max_rate_hz: fc.oneof(fc.double(), fc.integer(), value) },
  { requiredKeys: [] },
);
const payload = fc.oneof(processPayload, updatePayload, chunkPayload, subscribePayload, value);

/** socket.io-client refuses to emit these itself; the raw cases and event-shapes.test.ts cover them. */
const CLIENT_RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
const eventName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('process', 'update', 'update_chunk', 'start', 'subscribe', 'unsubscribe') },
  { weight: 1, arbitrary: fc.oneof(oddString, fc.constantFrom('__proto__', 'constructor', 'toString', 'PROCESS', 'process ', 'update\u0000')).filter((n) => !CLIENT_RESERVED.has(n)) },
);

type Shape = 'payload+ack' | 'ack only' | 'extras+ack' | 'no ack' | 'nothing' | 'raw deep';
interface Case {
  event: string;
  shape: Shape;
  payload: unknown;
  extras: unknown[];
  depth: number;
}
/** Binary values in `root`: each is one Socket.IO attachment. */
function attachments(root: unknown): number {
  let n = 0;
  const stack = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) n++;
    else if (v !== null && typeof v === 'object') stack.push(...Object.values(v));
  }
  return n;
}

const fuzzCase: fc.Arbitrary<Case> = fc
  .record({
    event: eventName,
    shape: fc.constantFrom<Shape>('payload+ack', 'payload+ack', 'payload+ack', 'ack only', 'extras+ack', 'no ack', 'nothing', 'raw deep'),
    payload,
    extras: fc.array(value, { minLength: 1, maxLength: 3 }),
    // Past the limit, and past what JSON.parse and Socket.IO's encoder could take (payload-limits.test.ts sends 100,000).
  depth: fc.integer({ min: 65, max: 20_000 }),
  })
  // Past socket.io-parser's maxAttachments (10) the packet closes its connection by design (event-shapes.test.ts).
  .filter((k) => attachments([k.payload, ...k.extras]) <= 10)
  // subscribe/unsubscribe run without an ack too (an error then comes as broker_error, success silently): acked shapes only.
  .filter((k) => !((k.event === 'subscribe' || k.event === 'unsubscribe') && (k.shape === 'no ack' || k.shape === 'nothing')));

// ---------------------------------------------------------------- running a case

type Emitter = { emit(e: string, ...a: unknown[]): void };

/** Send one case; resolves with its ack (or null when it has none: its answer is a broker_error). */
function send(k: Case): Promise<Ack | null> {
  const withAck = (...args: unknown[]): Promise<Ack> =>
    (c.timeout(30_000) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<Ack> }).emitWithAck(k.event, ...args);
  switch (k.shape) {
    case 'payload+ack':
      return withAck(k.payload);
    case 'ack only':
      return withAck();
    case 'extras+ack':
      return withAck(k.payload, ...k.extras);
    case 'no ack':
      (c as unknown as Emitter).emit(k.event, k.payload);
      return Promise.resolve(null);
    case 'nothing':
      (c as unknown as Emitter).emit(k.event);
      return Promise.resolve(null);
    case 'raw deep':
      return rawCall(c, `[${JSON.stringify(k.event)},{"params":{"object":"probe","method":"add","args":${nestedJson(k.depth, k.depth % 2 ? 'array' : 'object')}}}]`, 30_000);
  }
}

function expectCoded(answer: { status?: string; data?: unknown }, k: Case): void {
  const what = `${k.shape} ${JSON.stringify(k.event)}`;
  if (answer.status === 'success') return;
  const code = (answer.data as { code?: unknown } | null)?.code;
  expect(typeof code === 'string' && Object.hasOwn(ERROR_CODES, code), `${what}: ${JSON.stringify(answer).slice(0, 300)}`).toBe(true);
  expect(code, `${what}: a broker bug`).not.toBe('E_INTERNAL');
}

describe('Socket.IO payloads, fuzzed', () => {
  it('every event, argument shape and payload is answered once with a documented code; the broker and the project survive', async () => {
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const brokerErrors = collect<{ message: string; data: { code: string } }>(c, 'broker_error');
    let cases = 0;
    const started = performance.now();
    const property = tracked(async (batch: Case[]) => {
      const expectedErrors = brokerErrors.length + batch.filter((k) => k.shape === 'no ack' || k.shape === 'nothing').length;
      const acks = await Promise.all(batch.map(send));
      acks.forEach((a, i) => a && expectCoded(a, batch[i]!));
      // Without an ack, the answer is a broker_error: one per such case, sent before the next batch's.
      const add = await callMethod(c, 'probe', 'add', [2, 3]);
      expect(add.data, JSON.stringify(add)).toBe(5);
      expect(brokerErrors.length).toBe(expectedErrors);
      for (const e of brokerErrors.splice(0)) expect(['E_NO_ACK', 'E_UNKNOWN_EVENT']).toContain(e.data.code);
      const start = await call(c, 'start', {});
      expect((start.data as { objects: Record<string, string[]> }).objects.probe, JSON.stringify(start)).toEqual(expect.arrayContaining(['version', 'add']));
      cases += batch.length;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fuzzCase, { minLength: BATCH, maxLength: BATCH }), property.run),
      { ...fuzzParams(0), numRuns: Math.ceil(fuzzRuns(CASES_IN_TEST) / BATCH), plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS, { failOnInterrupt: soaking })] },
    );
    await property.idle();
    console.log(`[fuzz] socket.io: ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v1');
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    expect(t.broker.supervisor.status()).toMatchObject({ state: 'ready', restarts: 0 });
  }, 3_600_000);
});
