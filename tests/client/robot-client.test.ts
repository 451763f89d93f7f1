/** The client SDK against a real broker: commands, pushed events, error codes, reconnecting, busy. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError, RobotClient, RobotClientError, type RobotClientOptions } from '../../dist/client/index.js';
import { connectClient, startTestBroker, tempDir, waitFor, waitForFreeSlot, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

const ROBOT = `
exports.robot = {
  add(a, b) { return a + b; },
  whole(opts) { return { got: opts, count: arguments.length }; },
  none() { return { count: arguments.length }; },
  async slow(ms) { await new Promise((r) => setTimeout(r, ms)); return 'slow done'; },
  async started(ms) { pushMessage('started', {}); await new Promise((r) => setTimeout(r, ms)); return 'done'; },
  fail() { throw new Error('robot says no'); },
  push(n) { for (let i = 0; i < n; i++) pushMessage('tick', { i }); return n; },
};
`;

let t: TestBroker;
const clients: RobotClient[] = [];

beforeAll(async () => {
  t = await startTestBroker();
  // Every test runs against this robot (tests that upload upload the same one).
  const setup = new RobotClient({ url: t.url, token: t.token });
  await setup.update(zipFiles({ 'main.js': ROBOT }));
  await setup.close();
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await waitForFreeSlot(t.url, t.token);
});

function client(options: Partial<RobotClientOptions> = {}): RobotClient {
  const c = new RobotClient({ url: t.url, token: t.token, callTimeoutMs: 20_000, ...options });
  clients.push(c);
  return c;
}

/** The broker's side of the one connected client. */
function serverSocket() {
  const sockets = [...t.broker.io.of('/').sockets.values()];
  expect(sockets).toHaveLength(1);
  return sockets[0]!;
}

async function rejection(p: Promise<unknown>): Promise<BrokerError | RobotClientError> {
  try {
    await p;
  } catch (err) {
    return err as BrokerError | RobotClientError;
  }
  throw new Error('expected a rejection');
}

function nextEvent<T = unknown>(c: RobotClient, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    c.once(event, (data: unknown) => {
      clearTimeout(timer);
      resolve(data as T);
    });
  });
}

describe('commands', () => {
  it('update (ZIP bytes), start and call, with array, object and absent args', async () => {
    const c = client();
    await c.connect({ timeoutMs: 10_000 });
    expect(c.state).toBe('connected');
    const updated = await c.update(zipFiles({ 'main.js': ROBOT }));
    expect(updated).toMatchObject({ type: 'javascript', entry: 'main.js', files: 1 });
    const started = await c.start();
    expect(started.objects.robot?.sort()).toEqual(['add', 'fail', 'none', 'push', 'slow', 'started', 'whole']);
    expect(await c.call('robot', 'add', [2, 3])).toBe(5);
    expect(await c.call('robot', 'whole', { x: 1 })).toEqual({ got: { x: 1 }, count: 1 });
    expect(await c.call('robot', 'none')).toEqual({ count: 0 });
  });

  it('update takes a .zip path and a project folder', async () => {
    const dir = tempDir('rc-client-');
    const zipPath = join(dir, 'robot.zip');
    writeFileSync(zipPath, zipFiles({ 'main.js': ROBOT }));
    const project = join(dir, 'project');
    mkdirSync(join(project, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(project, 'main.js'), ROBOT);
    writeFileSync(join(project, 'helper.js'), 'module.exports = 1;\n');
    writeFileSync(join(project, 'node_modules', 'dep', 'index.js'), 'module.exports = 2;\n');
    const c = client();
    expect(await c.update(zipPath)).toMatchObject({ entry: 'main.js', files: 1 });
    // node_modules is not packed.
    expect(await c.update(project)).toMatchObject({ entry: 'main.js', files: 2 });
    expect(await c.call('robot', 'add', [1, 1])).toBe(2);
  });

  it('rejects with the broker code as a BrokerError', async () => {
    const c = client();
    await c.update(zipFiles({ 'main.js': ROBOT }));
    const failed = await rejection(c.call('robot', 'fail'));
    expect(failed).toBeInstanceOf(BrokerError);
    expect(failed.code).toBe('E_METHOD_FAILED');
    expect(failed.message).toBe('robot says no');
    expect((await rejection(c.call('nobody', 'x'))).code).toBe('E_UNKNOWN_OBJECT');
    expect((await rejection(c.call('robot', 'constructor'))).code).toBe('E_UNKNOWN_METHOD');
    expect((await rejection(c.update(Buffer.from('not a zip')))).code).toBe('E_INVALID_ZIP');
    expect((await rejection(c.update(zipFiles({ 'readme.txt': 'hi' })))).code).toBe('E_NO_ENTRY');
    // The broker kept the previous project.
    expect(await c.call('robot', 'add', [2, 2])).toBe(4);
  });

  it('a per-call timeout rejects with E_CALL_TIMEOUT and the client goes on', async () => {
    const c = client();
    await c.update(zipFiles({ 'main.js': ROBOT }));
    const err = await rejection(c.call('robot', 'slow', [3000], { timeoutMs: 100 }));
    expect(err).toBeInstanceOf(RobotClientError);
    expect(err.code).toBe('E_CALL_TIMEOUT');
    expect(err.details).toMatchObject({ sent: true });
    expect(await c.call('robot', 'add', [1, 2])).toBe(3);
  });
});

describe('events', () => {
  it('delivers pushed events and worker_status to on() listeners', async () => {
    const c = client();
    const status = nextEvent<{ state: string }>(c, 'worker_status');
    await c.connect({ timeoutMs: 10_000 });
    expect((await status).state).toBe('ready');
    await c.update(zipFiles({ 'main.js': ROBOT }));
    const ticks: Array<{ i: number }> = [];
    c.on('tick', (data) => ticks.push(data as { i: number }));
    expect(await c.call('robot', 'push', [3])).toBe(3);
    await waitFor(() => ticks.length === 3, 5000, '3 ticks');
    expect(ticks.map((x) => x.i)).toEqual([0, 1, 2]);
  });
});

describe('connecting', () => {
  it('a wrong token is final: connect() and queued calls reject with E_UNAUTHORIZED', async () => {
    const c = client({ token: 'wrong' });
    const failed = nextEvent<BrokerError>(c, 'reconnect_failed');
    const call = rejection(c.call('robot', 'add', [1, 1]));
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(BrokerError);
    expect(err.code).toBe('E_UNAUTHORIZED');
    expect((await call).code).toBe('E_UNAUTHORIZED');
    expect((await failed).code).toBe('E_UNAUTHORIZED');
    expect(c.state).toBe('closed');
    expect((await rejection(c.start())).code).toBe('E_UNAUTHORIZED');
  });

  it('"busy" is retried with backoff; calls made meanwhile wait in the queue and run once connected', async () => {
    const holder = await connectClient(t.url, { token: t.token, clientId: 'someone-else' });
    const c = client();
    const busy: string[] = [];
    const attempts: number[] = [];
    c.on('connect_error', (e) => busy.push(e.code));
    c.on('reconnect_attempt', ({ attempt }) => attempts.push(attempt));
    const connected = c.connect();
    const queued = c.call('robot', 'add', [1, 2]);
    await waitFor(() => attempts.length >= 2, 10_000, 'two retries while busy');
    expect(busy.every((code) => code === 'E_BUSY')).toBe(true);
    expect(c.connected).toBe(false);
    holder.close();
    await connected;
    expect(await queued).toBe(3);
  });

  it('connect({ timeoutMs }) gives up with E_BUSY when the robot stays busy, and closes the client', async () => {
    const holder = await connectClient(t.url, { token: t.token, clientId: 'someone-else' });
    try {
      const c = client();
      const err = await rejection(c.connect({ timeoutMs: 600 }));
      expect(err.code).toBe('E_BUSY');
      expect(c.state).toBe('closed');
    } finally {
      holder.close();
    }
  });

  it('an unreachable broker is retried, then connect({ timeoutMs }) rejects with E_UNREACHABLE', async () => {
    const port = await closedPort();
    const c = client({ url: `http://127.0.0.1:${port}` });
    const errors: string[] = [];
    c.on('connect_error', (e) => errors.push(e.code));
    const err = await rejection(c.connect({ timeoutMs: 1500 }));
    expect(err.code).toBe('E_UNREACHABLE');
    expect(errors.length).toBeGreaterThanOrEqual(1);
  });

  it('queueWhileDisconnected: false rejects calls at once with E_NOT_CONNECTED', async () => {
    const c = client({ queueWhileDisconnected: false });
    expect((await rejection(c.call('robot', 'add', [1, 2]))).code).toBe('E_NOT_CONNECTED');
  });

  it('close() rejects queued calls with E_CLOSED', async () => {
    const holder = await connectClient(t.url, { token: t.token, clientId: 'someone-else' });
    try {
      const c = client();
      void c.connect().catch(() => {});
      const queued = rejection(c.call('robot', 'add', [1, 2]));
      await c.close();
      expect((await queued).code).toBe('E_CLOSED');
      expect((await rejection(c.connect())).code).toBe('E_CLOSED');
    } finally {
      holder.close();
    }
  });

  it('sends its clientId, so the broker lets its next connection replace a stale one', async () => {
    const c = client({ clientId: 'robot-sdk-test' });
    await c.connect({ timeoutMs: 10_000 });
    // A stranger is refused; a connection with the same clientId is admitted over it.
    await expect(connectClient(t.url, { token: t.token, clientId: 'stranger' })).rejects.toThrow('busy');
    const same = await connectClient(t.url, { token: t.token, clientId: c.clientId });
    same.close();
  });

  it('gives each instance its own random clientId by default', () => {
    expect(client().clientId).not.toBe(client().clientId);
  });
});

describe('reconnecting', () => {
  it('reconnects after the server drops the transport, and calls work again', async () => {
    const c = client();
    await c.connect({ timeoutMs: 10_000 });
    const reasons: string[] = [];
    c.on('disconnect', (reason) => reasons.push(reason));
    const reconnected = nextEvent(c, 'connect');
    serverSocket().conn.close();
    await reconnected;
    expect(reasons).toEqual(['transport close']);
    expect(await c.call('robot', 'add', [1, 2])).toBe(3);
  });

  it('reconnects after the server disconnects the socket', async () => {
    const c = client();
    await c.connect({ timeoutMs: 10_000 });
    const reasons: string[] = [];
    c.on('disconnect', (reason) => reasons.push(reason));
    const reconnected = nextEvent(c, 'connect');
    serverSocket().disconnect(true);
    await reconnected;
    expect(reasons).toEqual(['io server disconnect']);
    expect(await c.call('robot', 'add', [1, 2])).toBe(3);
  });

  it('a call in flight when the connection drops rejects with E_DISCONNECTED (never replayed)', async () => {
    const c = client();
    await c.update(zipFiles({ 'main.js': ROBOT }));
    const started = nextEvent(c, 'started');
    const inFlight = rejection(c.call('robot', 'started', [3000]));
    // The robot is running the call: now drop the connection under it.
    await started;
    const reconnected = nextEvent(c, 'connect');
    serverSocket().conn.close();
    const err = await inFlight;
    expect(err).toBeInstanceOf(RobotClientError);
    expect(err.code).toBe('E_DISCONNECTED');
    await reconnected;
    expect(await c.call('robot', 'add', [1, 1])).toBe(2);
  });

  it('a call made while disconnected waits for the reconnect', async () => {
    const c = client({ reconnect: { initialDelayMs: 300, jitter: 0 } });
    await c.connect({ timeoutMs: 10_000 });
    const dropped = nextEvent(c, 'disconnect');
    serverSocket().conn.close();
    await dropped;
    expect(c.connected).toBe(false);
    expect(await c.call('robot', 'add', [1, 2])).toBe(3);
  });
});

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
