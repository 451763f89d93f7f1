/**
 * `node dist/bench/micro.js [dist]`: the CPU cost, in-process and without any I/O,
 * of the per-call steps the profile points at, against what they could be. Costs on
 * one core of this machine; the end-to-end effect of a change is for `npm run bench`
 * (with --broker-dist) to show, since wake-ups between processes dominate there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = process.argv[2] ?? fileURLToPath(new URL('../', import.meta.url));
const load = <T>(rel: string) => import(pathToFileURL(join(dist, rel)).href) as Promise<T>;
const { parseProcess } = await load<typeof import('../server/payloads.js')>('server/payloads.js');
const { SendQueue } = await load<typeof import('../ipc/send-queue.js')>('ipc/send-queue.js');

type Case = { name: string; n: number; run: (n: number) => void | Promise<void> };

async function time(c: Case): Promise<number> {
  await c.run(Math.min(c.n, 2000)); // warm up
  let best = Number.POSITIVE_INFINITY;
  for (let rep = 0; rep < 5; rep++) {
    const t = performance.now();
    await c.run(c.n);
    best = Math.min(best, ((performance.now() - t) * 1e6) / c.n);
  }
  return best;
}

const payload = { params: { object: 'bench', method: 'echo', args: [1] } };
let sink: unknown;

/** The check parseProcess makes, by hand: same errors, no schema walk. */
function handCheck(p: unknown) {
  const params = (p as { params?: unknown } | null)?.params as Record<string, unknown> | undefined;
  if (!params || typeof params !== 'object') throw new Error('params: expected an object');
  const { object, method, args } = params;
  if (typeof object !== 'string' || object.length === 0 || object.length > 200) throw new Error('params.object');
  if (typeof method !== 'string' || method.length === 0 || method.length > 200) throw new Error('params.method');
  if (args !== undefined && args !== null && typeof args !== 'object') throw new Error('params.args');
  return args === null || args === undefined ? { object, method } : { object, method, args };
}

const fakeSocket = { send: (_f: unknown) => Promise.resolve() };
const als = new AsyncLocalStorage<number>();
async function asyncHop(v: string): Promise<string> {
  return v;
}

/** A FIFO with a head index: what SendQueue.drain could use instead of Array.shift(). */
function headQueue() {
  let items: unknown[] = [];
  let head = 0;
  return {
    push: (x: unknown) => items.push(x),
    take: () => {
      if (head === items.length) {
        items = [];
        head = 0;
        return undefined;
      }
      const x = items[head];
      items[head++] = undefined;
      return x;
    },
  };
}

const cases: Case[] = [
  { name: 'zod parseProcess(payload)', n: 200_000, run: (n) => { for (let i = 0; i < n; i++) sink = parseProcess(payload); } },
  { name: 'hand-written check of the same payload', n: 200_000, run: (n) => { for (let i = 0; i < n; i++) sink = handCheck(payload); } },
  { name: 'setTimeout + clearTimeout (per-call timer)', n: 200_000, run: (n) => { for (let i = 0; i < n; i++) clearTimeout(setTimeout(() => {}, 300_000)); } },
  { name: 'JSON.stringify + Buffer.from (request frame)', n: 200_000, run: (n) => { for (let i = 0; i < n; i++) sink = Buffer.from(JSON.stringify({ ...payload.params, id: i, type: 'process' })); } },
  { name: 'SendQueue.send, awaited one by one', n: 100_000, run: async (n) => { const q = new SendQueue(fakeSocket); for (let i = 0; i < n; i++) await q.send(['x']); } },
  { name: 'SendQueue.send x n then drain (a burst)', n: 20_000, run: async (n) => { const q = new SendQueue(fakeSocket); const ps = []; for (let i = 0; i < n; i++) ps.push(q.send(['x'])); await Promise.all(ps); } },
  { name: 'SendQueue burst of 100,000 (Array.shift in drain)', n: 100_000, run: async (n) => { const q = new SendQueue(fakeSocket); const ps = []; for (let i = 0; i < n; i++) ps.push(q.send(['x'])); await Promise.all(ps); } },
  { name: 'head-index FIFO burst of 100,000, no promise per item', n: 100_000, run: async (n) => { const q = headQueue(); for (let i = 0; i < n; i++) q.push(['x']); while (q.take() !== undefined) await fakeSocket.send(null); } },
  { name: 'Array.shift() drain of 100,000 items', n: 100_000, run: (n) => { const a: unknown[] = []; for (let i = 0; i < n; i++) a.push([i]); while (a.shift() !== undefined); } },
  { name: 'await an async function (ensureReady hop)', n: 200_000, run: async (n) => { for (let i = 0; i < n; i++) sink = await asyncHop('w'); } },
  { name: 'sync fast path instead of the hop', n: 200_000, run: (n) => { for (let i = 0; i < n; i++) sink = 'w'; } },
  { name: 'AsyncLocalStorage.run(id, fn) + await inside', n: 200_000, run: async (n) => { for (let i = 0; i < n; i++) sink = await als.run(i, () => asyncHop('x')); } },
];

process.stdout.write(`per-call CPU cost on one core (best of 5), node ${process.version}, dist ${dist}\n`);
for (const c of cases) {
  const ns = await time(c);
  process.stdout.write(`${(ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`).padStart(10)}  ${c.name}\n`);
}
void sink;
