/**
 * Requests and replies queued in one turn go as one multipart message (ipc/part-batch.ts),
 * and the far end takes each part on its own. Real ZeroMQ sockets over ipc://: the
 * server's RpcRouter against a raw DEALER that counts messages, and the worker's RpcDealer
 * against a raw ROUTER.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'zeromq';
import { MAX_PARTS } from '../../dist/ipc/part-batch.js';
import { RpcDealer } from '../../dist/ipc/rpc-dealer.js';
import type { Rejection } from '../../dist/ipc/frame-check.js';
import { endpoint, routerWithRawWorker } from './support.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

const CALLS = MAX_PARTS + 44; // two messages: one full, one not

describe('one message per turn on the command channel', () => {
  it("the server's requests of one turn reach the worker as the parts of one message (MAX_PARTS each); its replies, one per part, answer them all", async () => {
    let readyHeard!: () => void;
    const heard = new Promise<void>((r) => (readyHeard = r));
    const { router, worker } = await routerWithRawWorker(closers, () => (readyHeard(), true), 1000);
    // Heard by the router: it knows the peer now, so requests to it can go.
    await worker.send(JSON.stringify({ type: 'ready', generation: 1, pid: 1, secret: 'x' }));
    await heard;

    const sizes: number[] = [];
    const serve = (async () => {
      let answered = 0;
      while (answered < CALLS) {
        const parts = await worker.receive();
        sizes.push(parts.length);
        // Answer each part, all in one message too.
        const replies = parts.map((p) => {
          const req = JSON.parse(p.toString()) as { id: number };
          return JSON.stringify({ type: 'reply', id: req.id, ok: true, result: { heapUsed: 1, rss: 1 } });
        });
        answered += parts.length;
        await worker.send(replies);
      }
    })();
    const results = await Promise.all(Array.from({ length: CALLS }, () => router.request('w1', 'ping', {}, { timeoutMs: 10_000 })));
    await serve;
    expect(results).toHaveLength(CALLS);
    expect(results.every((r) => (r as { rss: number }).rss === 1)).toBe(true);
    expect(sizes).toEqual([MAX_PARTS, CALLS - MAX_PARTS]);
  });

  it("the worker's replies to requests answered in the same turn go as one message; each part of a request message is judged on its own", async () => {
    const ep = endpoint();
    const server = new Router({ linger: 0, mandatory: true });
    closers.push(() => server.close());
    await server.bind(ep);
    const rejections: Rejection[] = [];
    const dealer = new RpcDealer('w2', (req) => ({ echo: req.id }), () => {}, (r) => rejections.push(r));
    closers.push(() => dealer.close());
    dealer.connect(ep);
    // Until its connection is up the router refuses to send (mandatory): retry, bounded.
    const deadline = Date.now() + 10_000;
    let id = 1;
    const request = (n: number) => JSON.stringify({ id: n, type: 'ping' });
    for (;;) {
      try {
        await server.send(['w2', request(id++), 'not json', request(id++)]);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const [, ...first] = await server.receive();
    expect(first.map((b) => (JSON.parse(b.toString()) as { id: number }).id)).toEqual([id - 2, id - 1]);
    expect(rejections).toEqual([expect.objectContaining({ reason: 'bad_frame', channel: 'command' })]);

    const ids = Array.from({ length: 50 }, () => id++);
    await server.send(['w2', ...ids.map(request)]);
    const got: number[] = [];
    let messages = 0;
    while (got.length < ids.length) {
      const [, ...parts] = await server.receive();
      messages++;
      for (const p of parts) got.push((JSON.parse(p.toString()) as { id: number }).id);
    }
    expect(got.sort((a, b) => a - b)).toEqual(ids);
    expect(messages).toBe(1);
  });
});
