/**
 * `update_chunk`, fuzzed (fast-check) against a model: random runs of pieces (first
 * pieces, pieces in and out of place, wrong totals, empty and overlong data) into a real
 * broker over a real socket.io-client. Every answer is the model's: the progress it
 * predicts, or E_INVALID_PAYLOAD naming the field and the offset expected; a run that
 * completes the upload with the ZIP's own bytes installs it. After every run the project
 * serving is the last one installed, and a clean upload in pieces still works.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../dist/ipc/protocol.js';
import { callMethod, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { fuzzParams, sampledRuns, soaking } from '../helpers/fuzz.js';
import { installProbe, probeProject } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startTestBroker({ worker: { heartbeat_timeout: 10 } });
  c = await t.connect();
  await installProbe(c, 'v0');
});
afterAll(async () => {
  await t?.close();
});

function piece(payload: unknown): Promise<Ack> {
  return (c.timeout(30_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack> }).emitWithAck('update_chunk', payload);
}

interface Op {
  /** Where the piece starts: at 0, where the model expects, one past it, or anywhere. */
  at: 'start' | 'next' | 'skip' | number;
  /** The declared total: the ZIP's size, or one off. */
  total: 'right' | 'more' | 'less';
  /** Bytes in the piece, against what the declared total still lacks. */
  size: 'rest' | 'half' | 'few' | 'none' | 'over';
  few: number;
}
const op: fc.Arbitrary<Op> = fc.record({
  at: fc.oneof({ weight: 2, arbitrary: fc.constant<'start'>('start') }, { weight: 12, arbitrary: fc.constant<'next'>('next') }, fc.constant<'skip'>('skip'), fc.nat(400)),
  total: fc.oneof({ weight: 8, arbitrary: fc.constant<'right'>('right') }, fc.constantFrom<'more' | 'less'>('more', 'less')),
  size: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<'rest' | 'half' | 'few'>('rest', 'half', 'few') }, fc.constantFrom<'none' | 'over'>('none', 'over')),
  few: fc.integer({ min: 1, max: 40 }),
});

let version = 0;
let serving = 'v0';
/** The model: the upload in progress on the broker (its declared total, what has arrived, whether all of it is this run's ZIP), or none. It outlives a run, as the broker's does. */
let model: { total: number; received: number; exact: boolean } | null = null;
const seen = { pieces: 0, refused: 0, completed: 0, installed: 0 };

describe('update_chunk against its model', () => {
  it('answers every piece as the model says; completed uploads install; the broker keeps serving', { timeout: soaking ? 3_600_000 : 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        const name = `v${++version}`;
        const zip = probeProject(name);
        if (model) model.exact = false; // started with an earlier run's ZIP
        for (const o of ops) {
          const total = o.total === 'right' ? zip.length : o.total === 'more' ? zip.length + 1 : zip.length - 1;
          const offset = o.at === 'start' ? 0 : o.at === 'next' ? (model?.received ?? 0) : o.at === 'skip' ? (model?.received ?? 0) + 1 : o.at;
          const lacking = Math.max(0, total - offset);
          const len = { rest: lacking, half: Math.ceil(lacking / 2), few: o.few, none: 0, over: lacking + o.few }[o.size];
          const data = Buffer.alloc(len);
          zip.copy(data, 0, Math.min(offset, zip.length), Math.min(offset + len, zip.length));
          const a = await piece({ offset, total, data });
          seen.pieces++;
          if (a.status === 'error') seen.refused++;
          const code = a.status === 'error' ? (a.data as { code: string }).code : null;
          const detail = a.data as Record<string, unknown>;
          if (offset === 0) model = { total, received: 0, exact: total === zip.length };
          if (model === null) {
            expect(detail, JSON.stringify(a)).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'offset', expected: 0 });
            continue;
          }
          if (total !== model.total) {
            expect(detail, JSON.stringify(a)).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'total', expected: model.total });
            continue;
          }
          if (offset !== model.received) {
            expect(detail, JSON.stringify(a)).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'offset', expected: model.received });
            continue;
          }
          if (len === 0 || model.received + len > model.total) {
            expect(detail, JSON.stringify(a)).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'data' });
            continue;
          }
          // In place: the bytes are the ZIP's own unless the piece ran past its end.
          if (offset + len > zip.length) model.exact = false;
          model.received += len;
          if (model.received < model.total) {
            expect(a, JSON.stringify(a)).toEqual({ status: 'success', message: 'piece received', data: { received: model.received, total: model.total } });
            continue;
          }
          // Complete: the update ran.
          seen.completed++;
          if (a.status === 'success') seen.installed++;
          if (model.exact) {
            expect(a, JSON.stringify(a)).toMatchObject({ status: 'success', data: { entry: 'main.js' } });
            serving = name;
          } else if (a.status === 'success') {
            // A stray byte, or two runs' bytes, that still read as a project: whatever it says it is serves.
            serving = String((await callMethod(c, 'probe', 'version')).data);
          } else {
            expect(['E_INVALID_ZIP', 'E_UNSAFE_ZIP', 'E_NO_ENTRY', 'E_PROJECT_LOAD'], JSON.stringify(a)).toContain(code);
          }
          model = null;
        }
        expect((await callMethod(c, 'probe', 'version')).data).toBe(serving);
      }),
      // A sample in the soak too: a completed run installs a project (a worker restarts; 500 runs took 61 s), so 100,000 would take hours.
      // In npm test 30 (each install ~0.2 s alone, twice that beside the other files; a new seed every run).
      { ...fuzzParams(30), numRuns: sampledRuns(30, 2000) },
    );
    console.log(`[fuzz] update_chunk: ${version} runs, ${seen.pieces} pieces (${seen.refused} refused), ${seen.completed} uploads completed, ${seen.installed} installed`);
    expect(seen.completed).toBeGreaterThan(0);
    // A clean upload in pieces still works after all that.
    const zip = probeProject('after');
    let last: Ack | null = null;
    for (let offset = 0; offset < zip.length; offset += 50) last = await piece({ offset, total: zip.length, data: zip.subarray(offset, offset + 50) });
    expect(last, JSON.stringify(last)).toMatchObject({ status: 'success' });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('after');
    expect(t.broker.supervisor.status()).toMatchObject({ state: 'ready' });
  });
});
