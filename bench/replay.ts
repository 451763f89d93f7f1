/**
 * Replay after a dropped link (docs/REPLAY.md): an observer that was away while the
 * robot pushed `n` events connects again with its `lastSeq`; the figure is the time
 * from the connect to the last replayed event, and the server's RSS growth meanwhile.
 * The floor: a fresh client of the raw Socket.IO server, connected and sent as many
 * events (what a broker without a ring could at best do, had it kept them).
 */
import { io, type Socket } from 'socket.io-client';
import * as client from './client.js';
import { sampleTreePeak, treeSample } from './procfs.js';
import { FLOOD_EVENT } from './servers/wire.js';

export interface Replay {
  ms: number;
  rssGrowthMb: number;
  received: number;
  outOfOrder: number;
}

const MiB = 1024 * 1024;

function open(port: number, auth: Record<string, unknown>): Socket {
  return io(`http://127.0.0.1:${port}`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
}

/** Resolve when `socket` has had `n` FLOOD_EVENTs; counts the ones whose number did not follow the previous. */
function countTicks(socket: Socket, n: number, timeoutMs: number, numberOf: (data: unknown, meta: unknown) => number): Promise<{ received: number; outOfOrder: number }> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let outOfOrder = 0;
    let previous: number | null = null;
    const timer = setTimeout(() => reject(new Error(`replay: ${received} of ${n} events within ${timeoutMs} ms`)), timeoutMs);
    socket.on(FLOOD_EVENT, (data: unknown, meta: unknown) => {
      const k = numberOf(data, meta);
      if (previous !== null && k !== previous + 1) outOfOrder++;
      previous = k;
      if (++received === n) {
        clearTimeout(timer);
        resolve({ received, outOfOrder });
      }
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The broker: away for `n` events pushed by `driver`'s flood, then back with lastSeq. */
export async function measureBrokerReplay(port: number, token: string, serverPid: number, driver: Socket, n: number, timeoutMs: number): Promise<Replay> {
  const away = open(port, { token, role: 'observer', meta: true });
  const stream = await new Promise<{ epoch: string; seq: number }>((resolve, reject) => {
    away.once('replay_info', resolve);
    away.once('connect_error', reject);
  });
  away.close();
  const flood = await client.flood(driver, n, timeoutMs);
  if (flood.lost) throw new Error(`replay: the driver's flood lost ${flood.lost}`);
  return timed(serverPid, n, timeoutMs, () => open(port, { token, role: 'observer', lastSeq: stream.seq, epoch: stream.epoch }), (_d, meta) => (meta as { seq: number }).seq);
}

/** The floor: a new client of the raw Socket.IO server, sent `n` events. */
export async function measureFloorReplay(port: number, serverPid: number, n: number, timeoutMs: number): Promise<Replay> {
  let socket: Socket | undefined;
  return timed(serverPid, n, timeoutMs, () => {
    socket = open(port, {});
    socket.once('connect', () => socket!.emit('process', { params: { object: 'bench', method: 'flood', args: [n] } }, () => {}));
    return socket;
  }, (data) => data as number);
}

async function timed(serverPid: number, n: number, timeoutMs: number, connect: () => Socket, numberOf: (data: unknown, meta: unknown) => number): Promise<Replay> {
  await new Promise((r) => setTimeout(r, 300)); // the flood's garbage settled
  const base = treeSample(serverPid);
  const sampler = sampleTreePeak(serverPid, 5);
  const t0 = performance.now();
  const socket = connect();
  try {
    const r = await countTicks(socket, n, timeoutMs, numberOf);
    return { ...r, ms: performance.now() - t0, rssGrowthMb: (sampler.stop().rootPeak - base.rootPeak) / MiB };
  } finally {
    sampler.stop();
    socket.close();
  }
}
