/**
 * The start ack's `methods` through a real broker: the default robot's JSDoc, and a
 * project whose methods the reader cannot match (bare names, never wrong hints).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartResult } from '../../dist/ipc/protocol.js';
import { call, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startTestBroker();
  c = await t.connect();
});
afterAll(async () => {
  await t?.close();
});

async function start(): Promise<StartResult> {
  const r = await call<StartResult>(c, 'start', {});
  expect(r.status).toBe('success');
  return r.data as StartResult;
}

describe('the start ack describes methods', () => {
  it('the default robot: objects as before, Move takes vx, vy, vyaw with units, stop is a hook', async () => {
    const s = await start();
    expect(Object.keys(s.methods).sort()).toEqual(Object.keys(s.objects).sort());
    for (const [object, names] of Object.entries(s.objects)) expect(Object.keys(s.methods[object]!)).toEqual(names);
    const move = s.methods.sport_client!.Move!;
    expect(move.args).toBe('object');
    expect(move.params.map((p) => p.name)).toEqual(['vx', 'vy', 'vyaw']);
    expect(move.params.every((p) => p.type === 'number' && p.optional && p.default === '0')).toBe(true);
    expect(move.params[0]!.doc).toMatch(/m\/s/);
    expect(move.params[2]!.doc).toMatch(/rad\/s/);
    expect(move.doc).toMatch(/StopMove/);
    expect(s.methods.recognition!.Start!.params).toEqual([expect.objectContaining({ name: 'interval_ms', default: '500', type: 'number' })]);
    expect(s.methods.sport_client!.stop).toMatchObject({ hook: true });
    expect(s.methods.recognition!.stop).toMatchObject({ hook: true });
    expect(s.methods.recognition!.Stop!.hook).toBeUndefined();
    // Every method of the default robot has a doc.
    for (const methods of Object.values(s.methods)) for (const [name, m] of Object.entries(methods)) expect(m.doc, name).toBeTruthy();
  });

  it('methods defined where the reader cannot see them keep their real parameter names', async () => {
    const src = `
const make = new Function('a', 'b', 'return a + b');
exports.odd = {
  add: make,
  bound: function (x, y) { return x + y; }.bind(null),
  /** @param {string} wrong this doc belongs to a different signature */
  renamed: (left, right) => left + right,
};
exports.odd.renamed = (p, q) => p * q;
`;
    expect((await call(c, 'update', { data: zipFiles({ 'main.js': src }) })).status).toBe('success');
    const m = (await start()).methods.odd!;
    expect(m.add!.params.map((p) => p.name)).toEqual(['a', 'b']);
    expect(m.bound!.params).toEqual([]);
    // The source's (left, right) is not the loaded (p, q): its doc is not used either.
    expect(m.renamed).toEqual({ args: 'array', params: [{ name: 'p' }, { name: 'q' }] });
  });
});
