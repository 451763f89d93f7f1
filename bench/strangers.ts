/**
 * Strangers: peers that open Socket.IO connections and never show a valid token,
 * pushing frames the whole time, as an attacker would, by hand on the wire (a
 * library client would spend the bench's CPU masking and copying big frames):
 *  - websocket: the upgrade, then CONNECT packets with a junk token just under the
 *    broker's pre-auth limit (60 KiB, each answered "unauthorized"), then one frame
 *    announcing `bigFrameBytes` (a project-sized upload) and streaming it;
 *  - polling: the handshake, the same small CONNECTs as POSTs, then a POST of
 *    `bigFrameBytes`.
 * Half the peers use each transport; each starts over as soon as the server drops
 * it, until the time is up. The server's RSS is sampled from outside meanwhile;
 * its growth over the idle RSS is the figure.
 */
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { rssBytes, sampleTreePeak } from './procfs.js';

export interface StrangerOptions {
  peers: number;
  durationMs: number;
  bigFrameBytes: number;
}

export interface StrangerRun {
  /** Peak server RSS minus the idle RSS given, MiB. */
  growthMb: number;
  connections: number;
  framesSent: number;
}

const SMALL_FRAME_BYTES = 60 * 1024;
/** What big frames are streamed from: one buffer, written again and again. */
const FILL = Buffer.alloc(1024 * 1024, 'x');
/** A Socket.IO CONNECT for the main namespace (as an engine.io message) whose junk token makes it `bytes` long. */
const connectMessage = (bytes: number) => Buffer.from(`40${JSON.stringify({ token: 'x'.repeat(bytes - 14) })}`);

/** A client WebSocket frame header (FIN, text, masked with a zero mask so the payload goes as is). */
function frameHeader(length: number): Buffer {
  const mask = Buffer.alloc(4);
  if (length < 126) return Buffer.concat([Buffer.from([0x81, 0x80 | length]), mask]);
  if (length < 65_536) return Buffer.concat([Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]), mask]);
  const h = Buffer.alloc(10);
  h[0] = 0x81;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([h, mask]);
}

/** Write `total` bytes of FILL, minding backpressure, until done or `halted` (the server answered or hung up). */
async function stream(out: NodeJS.WritableStream, total: number, halted: Promise<void>, stop: () => boolean): Promise<void> {
  for (let sent = 0; sent < total && !stop(); ) {
    const chunk = total - sent >= FILL.length ? FILL : FILL.subarray(0, total - sent);
    sent += chunk.length;
    if (out.write(chunk)) continue;
    let drained!: () => void;
    await Promise.race([new Promise<void>((r) => out.once('drain', (drained = r))), halted]);
    out.off('drain', drained); // when `halted` won: else each later full write left one more listener behind
  }
}

/** Resolve on the socket's next data or close, or after `ms`. */
function nextEvent(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('data', done);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('data', done);
    socket.once('close', done);
  });
}

/**
 * The frames of one connection: three small CONNECTs and the big frame, the big one
 * first on every other connection. A server without a pre-auth limit admits a
 * CONNECT and drops the connection at the next, so both orders are needed to make
 * it take big frames too (the floor); the broker drops it at the big frame's header.
 */
const framesOf = (n: number): Array<'small' | 'big'> => (n % 2 === 0 ? ['big', 'small', 'small', 'small'] : ['small', 'small', 'small', 'big']);

async function websocketStranger(port: number, o: StrangerOptions, deadline: number, run: StrangerRun): Promise<void> {
  for (let n = 0; Date.now() < deadline; n++) {
    const socket = connect(port, '127.0.0.1');
    let closed = false;
    const gone = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.write(
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await nextEvent(socket, 2000); // the 101 and engine.io's open packet
    if (!closed) run.connections++;
    for (const frame of framesOf(n)) {
      if (closed || Date.now() >= deadline) break;
      run.framesSent++;
      if (frame === 'small') {
        const m = connectMessage(SMALL_FRAME_BYTES);
        socket.write(Buffer.concat([frameHeader(m.length), m]));
      } else {
        socket.write(frameHeader(o.bigFrameBytes));
        await stream(socket, o.bigFrameBytes, gone, () => closed || Date.now() >= deadline);
      }
      await nextEvent(socket, 1000); // "unauthorized", the CONNECT answer, or the drop
    }
    socket.destroy();
  }
}

/** One HTTP request; a numeric body is that many bytes of FILL. Resolves with the status and the start of the body, or null. */
function httpCall(port: number, method: string, path: string, body: Buffer | number, deadline: number): Promise<{ status: number; text: string } | null> {
  return new Promise((resolve) => {
    const length = typeof body === 'number' ? body : body.length;
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false, headers: { 'content-type': 'text/plain;charset=UTF-8', 'content-length': length } });
    let answered = false;
    let halt: () => void = () => {};
    const halted = new Promise<void>((r) => (halt = r));
    req.on('error', () => {
      halt();
      resolve(null);
    });
    req.on('response', (res) => {
      answered = true; // past the limit the server answers 413 before the body is in: stop sending
      halt();
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (text += d.slice(0, 200)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve(null));
    });
    if (typeof body !== 'number') req.end(body);
    else void stream(req, body, halted, () => answered || Date.now() >= deadline).then(() => (answered ? req.destroy() : req.end()));
  });
}

async function pollingStranger(port: number, o: StrangerOptions, deadline: number, run: StrangerRun): Promise<void> {
  for (let n = 0; Date.now() < deadline; n++) {
    const open = await httpCall(port, 'GET', '/socket.io/?EIO=4&transport=polling', 0, deadline);
    const sid = open && /"sid":"([^"]+)"/.exec(open.text)?.[1];
    if (!sid) continue;
    run.connections++;
    const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    for (const frame of framesOf(n)) {
      if (Date.now() >= deadline) break;
      run.framesSent++;
      const r = await httpCall(port, 'POST', path, frame === 'small' ? connectMessage(SMALL_FRAME_BYTES) : o.bigFrameBytes, deadline);
      if (r?.status !== 200) break; // dropped (or refused past the limit): start over
    }
  }
}

/** `o.peers` strangers against the server at `port` (process `pid`) for `o.durationMs`; growth over `idleRss`. */
export async function measureStrangers(pid: number, port: number, idleRss: number, o: StrangerOptions): Promise<StrangerRun> {
  const run: StrangerRun = { growthMb: Number.NaN, connections: 0, framesSent: 0 };
  const deadline = Date.now() + o.durationMs;
  const sampler = sampleTreePeak(pid, 5);
  await Promise.all(Array.from({ length: o.peers }, (_, i) => (i % 2 === 0 ? websocketStranger : pollingStranger)(port, o, deadline, run)));
  const peak = sampler.stop();
  run.growthMb = (Math.max(peak.rootPeak, rssBytes(pid) ?? 0) - idleRss) / (1024 * 1024);
  return run;
}
