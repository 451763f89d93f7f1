/**
 * The CLI and the control lease, as the new user tried it: `watch` in one
 * terminal and `call` in another both work (watch observes); `call` waits for a held
 * lease until --wait, then E_BUSY, and --force takes it. Real processes, a real broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callMethod, waitFor, type TestBroker, startTestBroker } from '../helpers/broker.js';
import { cli, spawnCli } from './run-cli.js';

let t: TestBroker;
let conn: { url: string; token: string };

beforeAll(async () => {
  t = await startTestBroker();
  conn = { url: t.url, token: t.token };
});
afterAll(async () => {
  await t?.close();
});

describe('the CLI and the control lease', { timeout: 60_000 }, () => {
  it('watch in one process and call in another both work: watch prints what the call makes the robot push', async () => {
    const w = spawnCli(['watch', 'odometry', '--count', '3'], conn);
    try {
      // Named events only: nothing printed says watch is in, so wait for its socket on the broker.
      await waitFor(() => t.broker.io.of('/').sockets.size === 1, 15_000, 'watch to connect');
      const up = await cli(['call', 'sport_client', 'StandUp'], conn);
      expect(up.exitCode, up.stderr).toBe(0);
      const move = await cli(['call', 'sport_client', 'MoveFor', '{"vx": 0.5, "seconds": 1}'], conn);
      expect(move.exitCode, move.stderr).toBe(0);
      expect(JSON.parse(move.stdout)).toMatchObject({ stoppedEarly: false });
      const r = await w.proc;
      expect(r.exitCode, w.stderr()).toBe(0);
      const events = w.lines.map((l) => JSON.parse(l) as { event: string });
      expect(events.map((e) => e.event)).toEqual(['odometry', 'odometry', 'odometry']);
    } finally {
      w.proc.kill('SIGKILL');
    }
  });

  it('call waits while someone holds the lease, exits 1 with E_BUSY after --wait; --force takes it', async () => {
    await waitFor(() => t.broker.io.of('/').sockets.size === 0, 10_000, 'the previous clients to go');
    const holder = await t.connect({ clientId: 'panel-tab' });
    try {
      const busy = await cli(['call', 'sport_client', 'GetStatus', '--wait', '0.5'], conn);
      expect(busy.exitCode).toBe(1);
      expect(busy.stderr).toContain('"panel-tab" holds the robot; waiting...');
      expect(busy.stderr).toMatch(/robot-control: E_BUSY: /);

      const forced = await cli(['call', 'sport_client', 'GetStatus', '--force'], conn);
      expect(forced.exitCode, forced.stderr).toBe(0);
      expect(JSON.parse(forced.stdout)).toMatchObject({ posture: expect.any(String) });
      // The holder was demoted, not disconnected: its commands are now refused.
      expect((await callMethod(holder, 'sport_client', 'GetStatus')).data).toMatchObject({ code: 'E_NOT_CONTROLLER' });
    } finally {
      holder.close();
    }
  });
});
