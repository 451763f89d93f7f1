/**
 * Floor (b): the raw chain the broker is built on, as small as it can be. A
 * Socket.IO server process forwards `process` over a ZeroMQ ROUTER (ipc://) to a
 * child process (DEALER) that answers at once; the child's pushes come back over
 * XPUB/SUB and are emitted to the client. No validation, no logging, no timers.
 * `update` spawns a bare node + zeromq process and answers when it says ready.
 *
 * Its children start with the environment the broker gives its workers (the allow-list of
 * server/sandbox/environment.ts), not the bench's: what slows every Node start must weigh
 * on both or neither. NODE_EXTRA_CA_CERTS, set on the machine of 2026-11-29 and passed on
 * to the children before, made each start here ~85 ms slower (a spawn to ready: 160
 * against 77 ms), and the broker's workers never had it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Server, type Socket } from 'socket.io';
import { Router, Subscriber } from 'zeromq';
import { workerEnvironment } from '../../server/sandbox/environment.js';
import { env, serveParent } from './child-ipc.js';
import { fifoSender } from './zmq-send.js';
import { MAX_HTTP_BUFFER, ok, type AckFn, type ProcessPayload } from './wire.js';

const dir = env('BENCH_DIR');
const commandEndpoint = `ipc://${dir}/chain-cmd.ipc`;
const callbackEndpoint = `ipc://${dir}/chain-cb.ipc`;
const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
// BENCH_PROFILE_DIR as the broker passes it to its workers under --profile (bench/servers/broker-server.ts).
const childEnv = workerEnvironment(process.env, { extra: ['BENCH_PROFILE_DIR'], fixed: {} });

const router = new Router({ linger: 0 });
const subscriber = new Subscriber({ receiveHighWaterMark: 100_000, linger: 0 });
const send = fifoSender(router);
await router.bind(commandEndpoint);
subscriber.subscribe();
await subscriber.bind(callbackEndpoint);

const pending = new Map<number, AckFn>();
const spawned = new Map<string, () => void>();
let nextId = 1;
const holder: { client: Socket | null } = { client: null };
let responderReady!: () => void;
const ready = new Promise<void>((r) => (responderReady = r));

void (async () => {
  for await (const [identity, body] of router) {
    const msg = JSON.parse(String(body)) as { id?: number; result?: unknown; ready?: number; spawned?: string };
    if (msg.id !== undefined) {
      const ack = pending.get(msg.id);
      pending.delete(msg.id);
      ack?.(ok(msg.result));
    } else if (msg.ready !== undefined) responderReady();
    else if (msg.spawned !== undefined) spawned.get(msg.spawned)?.();
    void identity;
  }
})();
void (async () => {
  for await (const [body] of subscriber) {
    const e = JSON.parse(String(body)) as { event: string; data: unknown };
    holder.client?.emit(e.event, e.data);
  }
})();

const responder = spawn(process.execPath, [script('chain-responder'), commandEndpoint, callbackEndpoint], { stdio: ['pipe', 'inherit', 'inherit'], env: childEnv });
let stopping = false;
responder.once('exit', (code, signal) => stopping || process.stderr.write(`chain floor: the responder exited (${signal ?? code})\n`));
const slow = setTimeout(() => process.stderr.write('chain floor: the responder has not said ready after 10 s\n'), 10_000);
await ready;
clearTimeout(slow);

let previous: ChildProcess | null = null;
let spawns = 0;
/** Spawn a bare node + zeromq process; resolve once it said ready over ZeroMQ. */
function spawnReady(): Promise<void> {
  const tag = String(++spawns);
  return new Promise<void>((resolve) => {
    spawned.set(tag, () => {
      spawned.delete(tag);
      resolve();
    });
    const child = spawn(process.execPath, [script('ready-child'), commandEndpoint, tag], { stdio: ['pipe', 'inherit', 'inherit'], env: childEnv });
    previous?.kill('SIGKILL');
    previous = child;
  });
}

const http = createServer();
const io = new Server(http, { maxHttpBufferSize: MAX_HTTP_BUFFER, serveClient: false });
io.on('connection', (socket) => {
  holder.client = socket;
  socket.on('process', (payload: ProcessPayload, ack: AckFn) => {
    const id = nextId++;
    pending.set(id, ack);
    send(['responder', JSON.stringify({ id, params: payload.params })]);
  });
  socket.on('update', (_payload: unknown, ack: AckFn) => void spawnReady().then(() => ack(ok(null))));
});

await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
serveParent({ port: (http.address() as AddressInfo).port, responderPid: responder.pid }, async (type) => {
  if (type === 'stop') {
    stopping = true;
    previous?.kill('SIGKILL');
    // Closing its stdin lets the responder exit normally (and write its profile, if any).
    const gone = new Promise<void>((r) => responder.once('exit', () => r()));
    responder.stdin?.end();
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
    responder.kill('SIGKILL');
    await new Promise<void>((r) => io.close(() => r()));
    setImmediate(() => process.exit(0));
  }
  return null;
});
