/**
 * A rogue local process's sockets, for the tests: real ZeroMQ sockets that connect
 * to a broker's endpoints and send whatever they are told, as any process on the
 * machine that can reach the ipc files could.
 */
import { Dealer, XPublisher } from 'zeromq';
import { afterAll, beforeAll, expect } from 'vitest';
import { call, callMethod, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

type Frames = Array<Buffer | string>;

/** A publisher on the broker's event channel (its SUB): sends only once the broker's subscription arrived. */
export async function roguePublisher(endpoint: string): Promise<{ send(frames: Frames): Promise<void>; close(): void }> {
  const socket = new XPublisher({ linger: 0, noDrop: true, sendHighWaterMark: 100_000 });
  socket.connect(endpoint);
  for (;;) {
    const [frame] = await socket.receive();
    if (frame?.[0] === 1) break;
  }
  return { send: (frames) => socket.send(frames), close: () => socket.close() };
}

/** A DEALER on the broker's command channel (its ROUTER), with a routing id of its choosing. */
export function rogueDealer(endpoint: string, routingId = `rogue-${process.pid}-${Math.random().toString(36).slice(2)}`) {
  const socket = new Dealer({ routingId, linger: 0 });
  socket.connect(endpoint);
  return { socket, send: (frames: Frames) => socket.send(frames), close: () => socket.close() };
}

/** A project whose `probe.echo` pushes `echo` and returns what it got: the broker's liveness check. */
export const ECHO_PROJECT = zipFiles({
  'main.js': "exports.probe = { echo(x) { pushMessage('echo', x); return x; } };\n",
});

/** The broker still answers calls and still delivers pushes (a fresh value each time), from `object.echo`. */
export async function stillServing(c: Client, label: string, timeoutMs = 10_000, object = 'probe'): Promise<void> {
  const marker = `${label}-${Date.now()}-${Math.random()}`;
  let arrived = false;
  // Its own listener, removed after: a soak calls this 200,000 times (a listener kept per call
  // collected every later push, and the test process ran out of heap).
  const socket = c as unknown as { on(e: string, fn: (d: unknown) => void): void; off(e: string, fn: (d: unknown) => void): void };
  const onEcho = (d: unknown): void => {
    if (d === marker) arrived = true;
  };
  socket.on('echo', onEcho);
  try {
    const ack = await callMethod(c, object, 'echo', [marker], timeoutMs);
    if (ack.status !== 'success' || ack.data !== marker) throw new Error(`${label}: the call failed: ${JSON.stringify(ack)}`);
    await waitFor(() => arrived, timeoutMs, `${label}: the push to arrive`);
  } finally {
    socket.off('echo', onEcho);
  }
}

/** A broker for this test file, with ECHO_PROJECT installed and a client connected (closed after the file). */
export function echoBroker(): { t: () => TestBroker; c: () => Client } {
  let t: TestBroker;
  let c: Client;
  beforeAll(async () => {
    t = await startTestBroker({ worker: { standby: true } }); // the tests promote the spare after a rogue
    c = await t.connect();
    expect((await call(c, 'update', { data: ECHO_PROJECT })).status).toBe('success');
  });
  afterAll(async () => {
    await t?.close();
  });
  return { t: () => t, c: () => c };
}

/** The broker's /stats `security.ipcRejected`. */
export async function ipcRejected(url: string, token: string): Promise<{ total: number; byReason: Record<string, number> }> {
  const res = await fetch(new URL(`/stats?token=${token}`, url));
  return ((await res.json()) as { security: { ipcRejected: { total: number; byReason: Record<string, number> } } }).security.ipcRejected;
}
