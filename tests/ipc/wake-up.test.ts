/**
 * The command channel never leaves a message unread: a ROUTER send never waits for a
 * peer (so zeromq.js never sends from its poll callback, where a message's wake-up can
 * be taken), and a receive whose wake-up was taken anyway looks again within WAKE_UP_MS.
 * Real sockets over ipc:// in a temp folder. To take the wake-up on purpose, a test asks
 * the socket for its events (`readable`) while the message waits: what zeromq.js does
 * when a send that waited for room goes out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Dealer, Router } from 'zeromq';
import { RpcDealer } from '../../dist/ipc/rpc-dealer.js';
import { RpcRouter } from '../../dist/ipc/rpc-router.js';
import { waitFor } from '../helpers/broker.js';
import { endpoint, routerWithRawWorker } from './support.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});


/** Hold the event loop while a message arrives, then take its wake-up. */
function takeWakeUp(socket: { readable: boolean }): void {
  const until = Date.now() + 50;
  while (Date.now() < until) {
    /* the message reaches the socket meanwhile */
  }
  void socket.readable; // ZMQ_EVENTS: processes the socket's commands, resetting its file descriptor
}

function internalSocket<T>(owner: object): T {
  return (owner as { socket: T }).socket;
}

describe('the command channel hears every message', () => {
  it('a request to a worker that is not there fails at once, even with no worker connected', async () => {
    const router = new RpcRouter({ onReady: () => true, maxInFlight: 10 });
    closers.push(() => router.close());
    await router.bind(endpoint());
    const started = Date.now();
    const outcome = await Promise.race([
      router.request('gone', 'ping', {}).then(() => 'answered', (err: { code?: string }) => err.code),
      new Promise((ok) => setTimeout(() => ok('still waiting'), 5_000)),
    ]);
    expect(outcome).toBe('E_WORKER_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("the server's router reads a worker's ready whose wake-up was taken", async () => {
    const readies: number[] = [];
    const { router, worker } = await routerWithRawWorker(closers, (_id, msg) => (readies.push(msg.generation), true), 10);
    const ready = (generation: number): string => JSON.stringify({ type: 'ready', generation, pid: 1, secret: 'x' });
    await worker.send(ready(1));
    await waitFor(() => readies.length === 1, 10_000, 'the first ready');
    await worker.send(ready(2));
    takeWakeUp(internalSocket<Router>(router));
    await waitFor(() => readies.length === 2, 1000 + 10_000, 'the ready whose wake-up was taken');
  });

  it("the worker's dealer reads a request whose wake-up was taken", async () => {
    const handled: number[] = [];
    const server = new Router({ linger: 0 });
    closers.push(() => server.close());
    const ep = endpoint();
    await server.bind(ep);
    const dealer = new RpcDealer('w1', (req) => void handled.push(req.id), () => {});
    closers.push(() => dealer.close());
    dealer.connect(ep);
    const request = (id: number): string => JSON.stringify({ type: 'ping', id });
    // The dealer has no routing id at the server until it connects: resend until it is known.
    await waitFor(async () => {
      await server.send(['w1', request(1)]).catch(() => {});
      return handled.length > 0;
    }, 10_000, 'the first request');
    const before = handled.length;
    await server.send(['w1', request(2)]);
    takeWakeUp(internalSocket<Dealer>(dealer));
    await waitFor(() => handled.length > before, 1000 + 10_000, 'the request whose wake-up was taken');
  });
});
