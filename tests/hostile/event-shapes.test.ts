/**
 * Every Socket.IO event is answered whatever shape it arrives in: an ack passed
 * as the only argument gets an error ack, extra arguments are ignored (the ack is
 * the last argument, as Socket.IO passes it), binary where JSON belongs is refused,
 * unknown events are answered and logged, and a packet Socket.IO itself refuses
 * costs only that connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../dist/ipc/protocol.js';
import { collect, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { codeOf, rawCall } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startTestBroker();
  c = await t.connect();
});
afterAll(async () => {
  await t?.close();
});

/** Emit `event` with exactly `args` and an ack; resolves with the ack's response. */
function emitArgs(socket: Client, event: string, ...args: unknown[]): Promise<Ack> {
  return (socket.timeout(20_000) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<Ack> }).emitWithAck(event, ...args);
}

const STATUS = { params: { object: 'sport_client', method: 'GetStatus' } };

describe('argument shapes', () => {
  it.each([
    ['process', 'params'],
    ['update', 'data'],
  ])('emit("%s", ack) with no payload gets an error ack naming %s', async (event, field) => {
    const r = await emitArgs(c, event);
    expect(r.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field });
  });

  it('emit("start", ack) with no payload starts: the payload is optional there', async () => {
    expect((await emitArgs(c, 'start')).status).toBe('success');
  });

  it('extra arguments between the payload and the ack are ignored', async () => {
    const plain = await emitArgs(c, 'process', STATUS);
    const extra = await emitArgs(c, 'process', STATUS, 'extra', 42, { params: { object: 'nope' } }, Buffer.from([1, 2]));
    expect(plain.status).toBe('success');
    expect(extra).toEqual(plain);
  });

  it.each([
    ['a Buffer', Buffer.from('{"params":{}}'), 'params'],
    ['a string', JSON.stringify(STATUS), '(payload)'],
    ['a number', 42, '(payload)'],
    ['an array', [STATUS], '(payload)'],
    ['null', null, 'params'],
  ])('a process payload that is %s is refused naming %s', async (_what, payload, field) => {
    const r = await emitArgs(c, 'process', payload);
    expect(r.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field });
  });

  it('a raw packet with no arguments at all, only an ack id, is answered', async () => {
    expect(codeOf(await rawCall(c, '["process"]'))).toBe('E_INVALID_PAYLOAD');
    expect((await rawCall(c, '["start"]')).status).toBe('success');
  });
});

describe('unknown events', () => {
  it('are answered in the ack and logged by name, whatever the name', async () => {
    const before = t.logLines().filter((l) => l.event === 'unknown_event').length;
    expect(codeOf(await emitArgs(c, 'reboot', {}))).toBe('E_UNKNOWN_EVENT');
    expect(codeOf(await emitArgs(c, '💥\u202e\u0000'))).toBe('E_UNKNOWN_EVENT');
    expect(codeOf(await rawCall(c, '[42,{}]'))).toBe('E_UNKNOWN_EVENT'); // Socket.IO lets numbers through as event names
    await waitFor(() => t.logLines().filter((l) => l.event === 'unknown_event').length >= before + 3, 5000, 'three unknown_event lines');
    expect(t.logLines().filter((l) => l.event === 'unknown_event').map((l) => l.name)).toEqual(expect.arrayContaining(['reboot', '42']));
  });

  it('without an ack they come back as broker_error, like commands without one', async () => {
    const errors = collect<{ data: { code: string } }>(c, 'broker_error');
    (c as unknown as { emit(e: string, ...a: unknown[]): void }).emit('selfdestruct');
    (c as unknown as { emit(e: string, ...a: unknown[]): void }).emit('process', STATUS, 'no ack here');
    await waitFor(() => errors.length >= 2, 5000, 'two broker_error events');
    expect(errors.map((e) => e.data.code).sort()).toEqual(['E_NO_ACK', 'E_UNKNOWN_EVENT']);
  });
});

describe('packets Socket.IO itself refuses', () => {
  it.each(['["disconnect"]', '["connect",{}]', '[{}]', '[]', '{"not":"an array"}', '["process",{"params":'])(
    '%s closes only that connection; the next client is served',
    async (body) => {
      await t.closeClients();
      const victim = await t.connect();
      const gone = new Promise<string>((resolve) => victim.once('disconnect', resolve));
      (victim.io.engine as unknown as { write(d: string): void }).write(`2${body}`);
      expect(await gone).toMatch(/transport (close|error)|parse error/);
      c = await t.connect();
      expect((await emitArgs(c, 'process', STATUS)).status).toBe('success');
    },
  );
});
