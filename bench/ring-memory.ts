/**
 * `node --expose-gc dist/bench/ring-memory.js [max_events]`: what a full replay ring
 * costs in the server's heap (docs/REPLAY.md). A broker in this process, a project
 * pushing 10,100 events of ~2 KB of JSON each (a pose with a 100-number covariance),
 * one client reading them all; the heap after a full GC, before and after, and what
 * /stats says the ring holds. Run it with `0` for the same without a ring.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { io } from 'socket.io-client';
import { startBroker } from '../server/broker.js';
import { parseConfig } from '../server/config.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}
const maxEvents = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'rc-ring-memory-'));
const config = parseConfig(
  {
    websocket: { host: '127.0.0.1', port: 0 },
    worker: { storage_dir: join(dir, 'projects'), data_dir: join(dir, 'data'), standby: false },
    ipc: { command_socket: `ipc://${join(dir, 'cmd.ipc')}`, callback_socket: `ipc://${join(dir, 'cb.ipc')}` },
    auth: { token: 'bench' },
    log: { file: join(dir, 'app.log'), console: false, level: 'warn' },
    replay: { max_events: maxEvents },
  },
  dir,
  {},
);
const broker = await startBroker(config);
const zip = new AdmZip();
zip.addFile('main.js', Buffer.from(`exports.r = { push(n) { for (let i = 0; i < n; i++) pushMessage('pose', { i, x: Math.random(), y: Math.random(), cov: Array.from({ length: 100 }, () => Math.random()) }); return n; } };`));
const client = io(`http://127.0.0.1:${broker.port}`, { auth: { token: 'bench' }, transports: ['websocket'], reconnection: false });
await new Promise((resolve) => client.once('connect', () => resolve(undefined)));
await client.timeout(30_000).emitWithAck('update', { data: zip.toBuffer() });
let received = 0;
client.on('pose', () => received++);
const settle = () => new Promise((r) => setTimeout(r, 500));
const heapMb = () => {
  gc!();
  gc!();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
};
await client.timeout(30_000).emitWithAck('process', { params: { object: 'r', method: 'push', args: [100] } });
await settle();
const before = heapMb();
for (let k = 0; k < 10; k++) await client.timeout(30_000).emitWithAck('process', { params: { object: 'r', method: 'push', args: [1000] } });
const deadline = Date.now() + 30_000;
while (received < 10_100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
await settle();
const after = heapMb();
const stats = (await (await fetch(`http://127.0.0.1:${broker.port}/stats`, { headers: { authorization: 'Bearer bench' } })).json()) as { pushes: { replay: { events: number; bytes: number } } };
const ring = stats.pushes.replay;
process.stdout.write(
  `replay.max_events ${maxEvents}: ring holds ${ring.events} events, ${(ring.bytes / 1024 / 1024).toFixed(1)} MiB of JSON; ` +
    `server heap ${before} MB -> ${after} MB (+${(after - before).toFixed(1)} MB); client got ${received}\n`,
);
client.close();
await broker.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
