/**
 * The SDK and the control lease against a real broker: an observer beside a controller
 * (control and project events, refused commands, emergencyStop), take/release/force, the
 * role kept across a reconnect, and a coded refusal for an unknown role.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError, RobotClient, type ControlState, type RobotClientOptions, type StartResult } from '../../dist/client/index.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';

let t: TestBroker;
const clients: RobotClient[] = [];

beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await waitFor(() => t.broker.io.of('/').sockets.size === 0, 10_000, 'the clients to go');
});

function client(options: Partial<RobotClientOptions> = {}): RobotClient {
  const c = new RobotClient({ url: t.url, token: t.token, callTimeoutMs: 20_000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...options });
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<BrokerError> {
  try {
    await p;
  } catch (err) {
    return err as BrokerError;
  }
  throw new Error('expected a rejection');
}

describe('RobotClient and the control lease', { timeout: 30_000 }, () => {
  it('an observer beside a controller: told who drives and what is loaded, refused commands, emergencyStop works; take, force, release', async () => {
    const driver = client({ clientId: 'driver' });
    await driver.connect({ timeoutMs: 10_000 });
    expect(driver.role).toBe('controller');
    // Answered once the first worker is ready: from then on a newcomer is told the project on connect.
    await driver.call('sport_client', 'StandUp');

    const watcher = client({ clientId: 'watcher', role: 'observer' });
    const controls: ControlState[] = [];
    const projects: Array<StartResult | null> = [];
    watcher.on('control', (s) => controls.push(s));
    watcher.on('project', (p) => projects.push(p));
    await watcher.connect({ timeoutMs: 10_000 });
    await waitFor(() => controls.length > 0 && projects.length > 0, 5000, 'control and project on connect');
    expect(controls.at(-1)).toMatchObject({ controller: 'driver', role: 'observer' });
    expect(watcher.lease).toMatchObject({ controller: 'driver' });
    expect(Object.keys(projects.at(-1)!.objects).sort()).toEqual(['recognition', 'sport_client']);

    expect((await rejection(watcher.call('sport_client', 'GetStatus'))).code).toBe('E_NOT_CONTROLLER');
    await driver.call('sport_client', 'Move', { vx: 0.5 });
    expect(await watcher.emergencyStop()).toMatchObject({ stopped: expect.arrayContaining(['sport_client.stop']) });
    expect(await driver.call('sport_client', 'GetStatus')).toMatchObject({ moving: false });

    const busy = await rejection(watcher.takeControl());
    expect(busy).toBeInstanceOf(BrokerError);
    expect(busy.code).toBe('E_BUSY');
    expect(busy.details.controller).toBe('driver');

    expect(await watcher.takeControl({ force: true })).toMatchObject({ controller: 'watcher' });
    expect(watcher.role).toBe('controller');
    await waitFor(() => driver.role === 'observer', 5000, 'the driver to be demoted');
    expect(await watcher.call('sport_client', 'GetStatus')).toMatchObject({ posture: 'standing' });

    expect(await watcher.releaseControl()).toEqual({ controller: null });
    expect(watcher.role).toBe('observer');
    expect((await rejection(watcher.releaseControl())).code).toBe('E_NOT_CONTROLLER');
  });

  it('reconnects as the role it last held; an unknown role is refused with its code, and not retried', async () => {
    const c = client({ role: 'observer' });
    await c.connect({ timeoutMs: 10_000 });
    await c.takeControl();
    const reconnected = new Promise<void>((resolve) => c.once('connect', () => resolve()));
    for (const s of t.broker.io.of('/').sockets.values()) s.disconnect(true);
    await reconnected;
    await waitFor(() => c.lease?.role === 'controller' && c.lease.controller === c.clientId, 5000, 'the lease back on reconnect');

    const odd = client({ role: 'pilot' as never });
    const refused = await rejection(odd.connect({ timeoutMs: 10_000 }));
    expect(refused.code).toBe('E_INVALID_PAYLOAD');
    expect(odd.state).toBe('closed');
  });
});
