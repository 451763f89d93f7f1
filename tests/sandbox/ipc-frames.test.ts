/**
 * The server trusts nothing from the worker side of ZeroMQ: a bad frame (a message part) on its
 * SUB or ROUTER is dropped and counted, never ends a receive loop; a reply is taken
 * only from the worker it was sent to; `ready` only from a process it spawned.
 * Every test sends from a real rogue socket and then checks the broker still serves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, collect, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { ECHO_PROJECT, echoBroker, ipcRejected, roguePublisher, rogueDealer, stillServing } from './rogue.js';

const broker = echoBroker();
let t: TestBroker;
let c: Client;
beforeAll(() => {
  t = broker.t();
  c = broker.c();
});
const stats = async () => ({ security: { ipcRejected: await ipcRejected(t.url, t.token) } });

describe('the event channel (SUB)', () => {
  it('survives a null frame, a reserved event name and garbage, and counts them', async () => {
    const before = (await stats()).security.ipcRejected.total;
    const rogue = await roguePublisher(t.config.ipc.callback_socket);
    const generation = t.broker.supervisor.currentGeneration;
    const statuses = collect(c, 'worker_status');
    const echoed = collect(c, 'echo');
    try {
      await rogue.send(['null']);
      await rogue.send([JSON.stringify({ generation, reqId: 0, event: 'worker_status', data: { state: 'failed' } })]);
      await rogue.send([JSON.stringify({ generation, reqId: 0, event: 'connect', data: 1 })]);
      await rogue.send(['{not json']);
      await rogue.send([JSON.stringify({ generation, reqId: 0, event: 'echo', data: 'two parts' }), 'extra']);
      await stillServing(c, 'after bad pushes');
    } finally {
      rogue.close();
    }
    expect(statuses).toEqual([]);
    // Each part of a message is an event of its own (ipc/part-batch.ts): the good one goes, the bad one is counted.
    await waitFor(() => echoed.includes('two parts'), 5000, 'the good part of the two-part message');
    await waitFor(async () => (await stats()).security.ipcRejected.total >= before + 5, 5000, 'the rejections to be counted');
    const s = await stats();
    expect(s.security.ipcRejected.byReason).toMatchObject({ reserved_event: expect.any(Number), bad_frame: expect.any(Number) });
  });
});

describe('the command channel (ROUTER)', () => {
  it('survives garbage, a null body and extra frames', async () => {
    const rogue = rogueDealer(t.config.ipc.command_socket);
    try {
      await rogue.send(['null']);
      await rogue.send(['{']);
      await rogue.send([Buffer.from([0xff, 0xfe, 0x00])]);
      await rogue.send([JSON.stringify({ type: 'reply', id: 1, ok: true, result: 1 }), 'extra']);
      await rogue.send([JSON.stringify({ type: 'ready' })]);
      await stillServing(c, 'after bad replies');
    } finally {
      rogue.close();
    }
  });

  it('takes a reply only from the worker the call was sent to', async () => {
    const rogue = rogueDealer(t.config.ipc.command_socket);
    try {
      // A call that takes a while: the rogue answers every id around it first.
      const slow = call(c, 'process', { params: { object: 'probe', method: 'echo', args: ['real'] } });
      for (let id = 1; id < 200; id++) await rogue.send([JSON.stringify({ type: 'reply', id, ok: true, result: 'forged' })]);
      const ack = await slow;
      expect(ack).toMatchObject({ status: 'success', data: 'real' });
      await stillServing(c, 'after forged replies');
    } finally {
      rogue.close();
    }
  });

  it('refuses a ready that does not come from a process the broker spawned', async () => {
    const rogue = rogueDealer(t.config.ipc.command_socket);
    const current = t.broker.supervisor.currentGeneration;
    try {
      for (const generation of [current, current + 1, current + 2]) {
        await rogue.send([JSON.stringify({ type: 'ready', generation, pid: process.pid, secret: 'guess' })]);
      }
      await stillServing(c, 'after a fake ready');
      // The next update promotes the real spare, not the rogue: calls are answered by robot code.
      expect((await call(c, 'update', { data: ECHO_PROJECT })).status).toBe('success');
      await stillServing(c, 'after an update that followed a fake ready');
    } finally {
      rogue.close();
    }
  });
});
