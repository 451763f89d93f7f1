/**
 * The client side of every figure: a real socket.io-client over websocket in the
 * bench process, the same code against the floors and the broker. Loops are
 * callback chains (no promise or timer per call) so the client adds as little as
 * possible, and each is bounded by a count and a deadline.
 */
import { io, type Socket } from 'socket.io-client';
import { sendInPieces } from '../ipc/upload-pieces.js';
import { BENCH_OBJECT } from './project.js';
import { FLOOD_EVENT } from './servers/wire.js';

export type Ack = { status: 'success' | 'error'; message: string; data: unknown };

/** `meta`: ask for pushed events as `(data, meta)`, as the SDK and the panel do. */
export function connect(port: number, token?: string, meta = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, {
      auth: token ? { token, clientId: 'bench', ...(meta && { meta: true }) } : {},
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

const processPayload = (method: string, arg: unknown) => ({ params: { object: BENCH_OBJECT, method, args: [arg] } });

function failed(what: string, ack: Ack): Error {
  return new Error(`${what}: ${ack.status} ${ack.message} ${JSON.stringify(ack.data).slice(0, 200)}`);
}

/** One call, its ack; rejects after `timeoutMs`. */
export function call(socket: Socket, event: string, payload: unknown, timeoutMs: number): Promise<Ack> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.emit(event, payload, (ack: Ack) => {
      clearTimeout(timer);
      resolve(ack);
    });
  });
}

export function callMethod(socket: Socket, method: string, arg: unknown, timeoutMs: number): Promise<Ack> {
  return call(socket, 'process', processPayload(method, arg), timeoutMs).then((ack) => {
    if (ack.status !== 'success') throw failed(`${method}(${String(arg)})`, ack);
    return ack;
  });
}

export interface Sequential {
  /** Round-trip times in µs, in call order. */
  latenciesUs: number[];
  truncated: boolean;
}

/** `n` echo calls one after another (each sent when the previous is acked); stops issuing at `timeoutMs`. */
export function sequential(socket: Socket, n: number, timeoutMs: number): Promise<Sequential> {
  return new Promise((resolve, reject) => {
    const latenciesUs: number[] = [];
    const started = performance.now();
    let sentAt = 0;
    let i = 0;
    const watchdog = setTimeout(() => reject(new Error(`a sequential call hung (${i} of ${n} sent)`)), timeoutMs + 10_000);
    const onAck = (ack: Ack) => {
      latenciesUs.push((performance.now() - sentAt) * 1000);
      if (ack.status !== 'success') {
        clearTimeout(watchdog);
        reject(failed('echo', ack));
        return;
      }
      next();
    };
    const next = () => {
      const truncated = performance.now() - started > timeoutMs;
      if (i >= n || truncated) {
        clearTimeout(watchdog);
        resolve({ latenciesUs, truncated });
        return;
      }
      const payload = processPayload('echo', i++);
      sentAt = performance.now();
      socket.emit('process', payload, onAck);
    };
    next();
  });
}

export interface Pipelined {
  calls: number;
  callsPerSec: number;
  truncated: boolean;
}

/** `n` echo calls with `window` in flight: a new one is sent as each ack arrives. */
export function pipelined(socket: Socket, n: number, window: number, timeoutMs: number): Promise<Pipelined> {
  if (n <= 0) return Promise.resolve({ calls: 0, callsPerSec: Number.NaN, truncated: false });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let sent = 0;
    let acked = 0;
    let truncated = false;
    const watchdog = setTimeout(() => reject(new Error(`pipelined calls hung (${acked} of ${sent} acked)`)), timeoutMs + 10_000);
    const onAck = (ack: Ack) => {
      acked++;
      if (ack.status !== 'success') {
        clearTimeout(watchdog);
        reject(failed('echo', ack));
        return;
      }
      if (sent < n && !truncated) {
        if (performance.now() - started > timeoutMs) truncated = true;
        else send();
      }
      if (acked === sent) {
        clearTimeout(watchdog);
        const s = (performance.now() - started) / 1000;
        resolve({ calls: acked, callsPerSec: acked / s, truncated });
      }
    };
    const send = () => socket.emit('process', processPayload('echo', sent++), onAck);
    for (let k = 0; k < Math.min(window, n); k++) send();
  });
}

export interface ShortDuringLong {
  /** Round-trip times (ms) of the short calls made while the long one ran. */
  shortMs: number[];
  longMs: number;
}

/** Start `sleep(longMs)`, and once it is surely in flight make up to `k` short calls one after another. */
export async function shortDuringLong(socket: Socket, longMs: number, k: number, timeoutMs: number): Promise<ShortDuringLong> {
  const t0 = performance.now();
  let longDone = false;
  const long = callMethod(socket, 'sleep', longMs, longMs + timeoutMs).then(() => {
    longDone = true;
    return performance.now() - t0;
  });
  await new Promise((r) => setTimeout(r, Math.min(50, longMs / 10)));
  const shortMs: number[] = [];
  for (let i = 0; i < k && !longDone && performance.now() - t0 < longMs * 0.8; i++) {
    const s = performance.now();
    await callMethod(socket, 'echo', i, timeoutMs);
    if (longDone) break; // answered after the long call: it does not count
    shortMs.push(performance.now() - s);
  }
  return { shortMs, longMs: await long };
}

export interface Flood {
  requested: number;
  received: number;
  lost: number;
  outOfOrder: number;
  duplicates: number;
  /** Events shed by the broker for a slow client, as it reported them. */
  shedReported: number;
  eventsPerSec: number;
  ms: number;
}

/**
 * Ask for `n` pushed events and count them at the client: the rate is events over
 * the time from the request to the last event; order is checked event by event.
 * Done when all arrived, or `quietMs` after the ack with nothing new arriving.
 */
export function flood(socket: Socket, n: number, timeoutMs: number, quietMs = 1000): Promise<Flood> {
  return new Promise((resolve, reject) => {
    const seen = new Uint8Array(n);
    let received = 0;
    let outOfOrder = 0;
    let duplicates = 0;
    let shedReported = 0;
    let expected = 0;
    let lastAt = 0;
    let acked = false;
    const t0 = performance.now();
    let quietTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(watchdog);
      clearTimeout(quietTimer);
      socket.off(FLOOD_EVENT, onTick);
      socket.off('events_shed', onShed);
      const distinct = received - duplicates;
      const ms = (lastAt || performance.now()) - t0;
      resolve({ requested: n, received, lost: n - distinct, outOfOrder, duplicates, shedReported, eventsPerSec: (distinct / ms) * 1000, ms });
    };
    const watchdog = setTimeout(finish, timeoutMs);
    const armQuiet = () => {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(finish, quietMs);
    };
    const onTick = (i: number) => {
      received++;
      lastAt = performance.now();
      if (i !== expected) outOfOrder++;
      expected = i + 1;
      if (seen[i]) duplicates++;
      else seen[i] = 1;
      if (received - duplicates === n && acked) finish();
      else if (acked) armQuiet();
    };
    const onShed = (r: { shed: number }) => (shedReported += r.shed);
    socket.on(FLOOD_EVENT, onTick);
    socket.on('events_shed', onShed);
    socket.emit('process', processPayload('flood', n), (ack: Ack) => {
      if (ack.status !== 'success') {
        clearTimeout(watchdog);
        socket.off(FLOOD_EVENT, onTick);
        reject(failed('flood', ack));
        return;
      }
      acked = true;
      if (received - duplicates === n) finish();
      else armQuiet();
    });
  });
}

/** Upload a ZIP as binary, in one `update` (`pieces`: in `update_chunk` pieces, as the SDK does); ms to the ack. */
export async function upload(socket: Socket, zip: Buffer, timeoutMs: number, how: 'whole' | 'pieces' = 'whole'): Promise<number> {
  const t0 = performance.now();
  if (how === 'pieces') {
    await sendInPieces(zip, async (piece) => {
      const ack = await call(socket, 'update_chunk', piece, timeoutMs);
      if (ack.status !== 'success') throw failed('update_chunk', ack);
      return ack;
    });
  } else {
    const ack = await call(socket, 'update', { data: zip }, timeoutMs);
    if (ack.status !== 'success') throw failed('update', ack);
  }
  return performance.now() - t0;
}
