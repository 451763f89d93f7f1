/**
 * A command sent after a stop runs after it (worker/worker.ts). The project's stop() hook
 * awaits 1 s before it halts the robot; a `Move` sent right behind the emergency stop
 * reaches the worker while the hook awaits. It must wait for the hook, and the robot then
 * moves: before, the Move ran in the middle of the hook, which then halted it (the same
 * race, with the deadman of a controller that had just left, failed a CI run). The project
 * records what ran in which order; the order of the two acks says nothing (the emergency
 * stop's goes through more of the server).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Ack } from '../../dist/ipc/protocol.js';
import { call, callMethod, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

const PROJECT = `
exports.robot = {
  moving: false,
  ran: [],
  Move() { this.ran.push('Move'); this.moving = true; return 'moving'; },
  Status() { return { moving: this.moving, ran: this.ran }; },
  async stop() {
    this.ran.push('stop begins');
    await new Promise((r) => setTimeout(r, 1000));
    this.moving = false;
    this.ran.push('stop ends');
  },
};
`;

let t: TestBroker;
let driver: Client;
beforeAll(async () => {
  t = await startTestBroker();
  driver = await t.connect({ clientId: 'driver' });
  const r = await call(driver, 'update', { data: zipFiles({ 'main.js': PROJECT }) });
  expect(r.status, JSON.stringify(r)).toBe('success');
});
afterAll(async () => {
  await t?.close();
});

it('a Move sent right after an emergency stop runs after the stop hook, and the robot moves', async () => {
  const stop = new Promise<Ack>((resolve) => (driver as unknown as { emit(e: string, p: unknown, ack: (r: Ack) => void): void }).emit('emergency_stop', {}, resolve));
  const move = callMethod(driver, 'robot', 'Move');
  const [s, m] = await Promise.all([stop, move]);
  expect(s.status).toBe('success');
  expect((s.data as { stopped: string[] }).stopped).toEqual(['robot.stop']);
  expect(m.status).toBe('success');
  expect((await callMethod(driver, 'robot', 'Status')).data).toEqual({ moving: true, ran: ['stop begins', 'stop ends', 'Move'] });
});
