/**
 * Property: whatever is bound at the worker's command endpoint (the server; a squatter if
 * the socket file were replaced) and sends into the worker's DEALER, the worker drops
 * each frame that is not a request (one `bad_frame` rejection each), answers each request
 * whose envelope fits with a reply for its id (an error reply when its parameters do not
 * fit), and answers the next ping; sent as one message each or as the parts of one
 * message (as the server batches them, ipc/part-batch.ts), each part judged on its own. The worker checks envelopes without zod
 * (ipc/frame-check.ts); this is what that check must hold to.
 * Real ZeroMQ: a ROUTER here, the worker's own RpcDealer and Worker handlers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Router } from 'zeromq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RpcDealer } from '../../dist/ipc/rpc-dealer.js';
import type { Rejection } from '../../dist/ipc/frame-check.js';
import { createWorkerLogger } from '../../dist/worker/logger.js';
import { Worker } from '../../dist/worker/worker.js';
import { fuzzParams, soaking } from '../helpers/fuzz.js';

const COMMANDS = ['load', 'start', 'process', 'stop_hooks', 'ping'];
const ROUTING_ID = 'worker-under-test';

let dir: string;
let router: Router;
let dealer: RpcDealer;
const rejections: Rejection[] = [];
const replies = new Map<number, { ok: boolean; error?: { code: string } }>();
let nextId = 1_000_000;

/** Wait for the reply to `id`: polls the map the receive loop fills, bounded. */
async function replyTo(id: number, timeoutMs = 10_000): Promise<{ ok: boolean; error?: { code: string } }> {
  const deadline = Date.now() + timeoutMs;
  while (!replies.has(id)) {
    if (Date.now() > deadline) throw new Error(`no reply to request ${id} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return replies.get(id)!;
}

async function ping(): Promise<void> {
  const id = nextId++;
  await router.send([ROUTING_ID, JSON.stringify({ id, type: 'ping' })]);
  expect((await replyTo(id)).ok).toBe(true);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-wreq-'));
  const endpoint = `ipc://${join(dir, 'cmd.ipc')}`;
  router = new Router({ linger: 0, mandatory: true });
  await router.bind(endpoint);
  void (async () => {
    for await (const [, ...bodies] of router) {
      for (const body of bodies) {
        const reply = JSON.parse(body.toString()) as { id: number; ok: boolean; error?: { code: string } };
        replies.set(reply.id, reply);
      }
    }
  })();
  const log = createWorkerLogger('info', 1, () => {}); // its lines go nowhere
  const config = { generation: 1, commandEndpoint: endpoint, callbackEndpoint: endpoint, stopTimeoutMs: 1000, pythonPath: 'python3', maxMemoryMb: 256, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, logLevel: 'silent' };
  const worker = new Worker(log, 1000, () => {}, config);
  dealer = new RpcDealer(ROUTING_ID, (request) => worker.handle(request), () => {}, (r) => rejections.push(r));
  dealer.connect(endpoint);
  // The ROUTER knows the peer once its connection is up: until then a send is refused (mandatory).
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await ping();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});

afterAll(() => {
  dealer?.close();
  router?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The envelope the worker accepts: a JSON object, a positive integer id, a known type. */
function isRequest(v: unknown): v is { id: number } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const { id, type } = v as Record<string, unknown>;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 && typeof type === 'string' && [...COMMANDS, 'shutdown'].includes(type);
}

const junk = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
);
/** Request-shaped objects with wrong or missing fields; ids fresh per case so replies can be told apart. */
const shaped = fc
  .record(
    {
      id: fc.oneof(fc.constant('fresh'), fc.integer(), fc.double(), fc.string({ maxLength: 5 })),
      type: fc.oneof(fc.constantFrom(...COMMANDS), fc.string({ maxLength: 12 })),
      project: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ dir: fc.string({ maxLength: 20 }), type: fc.string({ maxLength: 12 }), entry: fc.string({ maxLength: 12 }) })),
      object: fc.jsonValue({ maxDepth: 2 }),
      method: fc.jsonValue({ maxDepth: 2 }),
      args: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((r) => (r.id === 'fresh' ? { ...r, id: nextId++ } : r));

it('a frame that is not a request is dropped and counted; a request gets a reply; the next ping is answered', { timeout: soaking ? 3_600_000 : 60_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(junk, shaped), { minLength: 1, maxLength: 5 }), fc.boolean(), async (batch, together) => {
      const before = rejections.length;
      const bodies: Buffer[] = [];
      const expected: number[] = [];
      let dropped = 0;
      for (const item of batch) {
        const body = Buffer.isBuffer(item) ? item : Buffer.from(JSON.stringify(item));
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        // An id below the fresh range may repeat an earlier case's: only fresh ones are awaited.
        if (isRequest(parsed)) {
          if (parsed.id >= 1_000_000) expected.push(parsed.id);
        } else dropped++;
        if (together) bodies.push(body);
        else await router.send([ROUTING_ID, body]);
      }
      if (together) await router.send([ROUTING_ID, ...bodies]);
      for (const id of expected) {
        const reply = await replyTo(id);
        if (!reply.ok) expect(typeof reply.error?.code).toBe('string');
      }
      await ping();
      const got = rejections.slice(before);
      expect(got.length).toBe(dropped);
      expect(got.every((r) => r.reason === 'bad_frame' && r.channel === 'command')).toBe(true);
    }),
    fuzzParams(500),
  );
});
