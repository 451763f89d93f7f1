/**
 * Property: whatever a local process sends into the server's ROUTER and SUB (any number
 * of parts, random bytes, JSON of every shape, replies and ready frames that look right
 * but carry wrong ids, generations or secrets, pushes of reserved names), the broker
 * still answers calls and still delivers pushes after each batch, and its worker is
 * never restarted over it. Real rogue ZeroMQ sockets against a real broker.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ERROR_CODES } from '../../dist/ipc/errors.js';
import { RESERVED_EVENTS } from '../../dist/ipc/protocol.js';
import { fuzzParams, soaking } from '../helpers/fuzz.js';
import { echoBroker, ipcRejected, rogueDealer, roguePublisher, stillServing } from './rogue.js';

/** A part as generated: bytes, or a reply id / generation relative to the broker's present (filled in at send time). */
type Part = Buffer | { template: Record<string, unknown>; idOffset: number | null; genOffset: number | null };
interface Message {
  to: 'router' | 'sub';
  parts: Part[];
}

const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
const json = fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));
const offset = fc.option(fc.integer({ min: -3, max: 10 }), { nil: null });
const reply = fc
  .record(
    {
      type: fc.constantFrom('reply', 'ready', 'push', ''),
      ok: fc.boolean(),
      result: fc.jsonValue({ maxDepth: 3 }),
      message: fc.string(),
      error: fc.record({ code: fc.constantFrom(...Object.keys(ERROR_CODES), 'E_NOPE', '') }, { requiredKeys: [] }),
      pid: fc.integer(),
      secret: fc.string({ maxLength: 40 }),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: ['type'] },
  )
  .chain((template) => fc.record({ template: fc.constant(template as Record<string, unknown>), idOffset: offset, genOffset: offset }));
const push = fc
  .record(
    {
      reqId: fc.integer({ min: -1, max: 1000 }),
      event: fc.oneof(fc.constantFrom(...RESERVED_EVENTS), fc.string({ maxLength: 250 })),
      data: fc.jsonValue({ maxDepth: 3 }),
      extra: fc.string(),
    },
    { requiredKeys: ['event'] },
  )
  .chain((template) => fc.record({ template: fc.constant(template as Record<string, unknown>), idOffset: fc.constant(null), genOffset: offset }));
const part: fc.Arbitrary<Part> = fc.oneof(bytes, json, reply, push);
const message: fc.Arbitrary<Message> = fc.record({ to: fc.constantFrom('router', 'sub'), parts: fc.array(part, { minLength: 1, maxLength: 4 }) });

const broker = echoBroker();

it('no batch of frames stops the broker answering calls or delivering pushes', async () => {
  const t = broker.t();
  const c = broker.c();
  const dealer = rogueDealer(t.config.ipc.command_socket);
  const publisher = await roguePublisher(t.config.ipc.callback_socket);
  const generation = t.broker.supervisor.currentGeneration;
  const fill = (p: Part, baseId: number): Buffer => {
    if (Buffer.isBuffer(p)) return p;
    const v: Record<string, unknown> = { ...p.template };
    if (p.idOffset !== null) v.id = baseId + p.idOffset;
    if (p.genOffset !== null) v.generation = generation + p.genOffset;
    return Buffer.from(JSON.stringify(v));
  };
  let batch = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 12 }), async (messages) => {
        batch++;
        // A call is in flight while the batch lands: forged replies to its id must not answer it.
        const base = t.broker.supervisor.allocateId();
        const serving = stillServing(c, `batch ${batch}`, 15_000);
        for (const m of messages) {
          const frames = m.parts.map((p) => fill(p, base));
          await (m.to === 'router' ? dealer.send(frames) : publisher.send(frames));
        }
        await serving;
        await stillServing(c, `after batch ${batch}`, 15_000);
      }),
      { ...fuzzParams(300), interruptAfterTimeLimit: soaking ? 3_600_000 : 20_000 },
    );
  } finally {
    dealer.close();
    publisher.close();
  }
  expect(batch).toBeGreaterThan(10);
  expect(t.broker.supervisor.currentGeneration).toBe(generation); // no restart was caused
  expect((await ipcRejected(t.url, t.token)).total).toBeGreaterThan(0);
}, soaking ? 3_700_000 : 120_000);
