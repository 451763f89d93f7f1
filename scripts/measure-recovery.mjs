// Measure how long each fault keeps the broker from serving: the time from the
// fault until the next call succeeds again. Default config (heartbeat 1 s / 5 s,
// standby worker on) except for loopback, temp paths, a 64 MB heap so the
// out-of-memory case is quick, and stable_after 0.2 s so the rounds measure
// recovery, not the crash-loop policy (which would stop restarting after 5).
// Usage: npm run build && node scripts/measure-recovery.mjs [rounds]
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { io } from 'socket.io-client';
import { parseConfig } from '../dist/server/config.js';
import { startBroker } from '../dist/server/broker.js';
import { createLogger } from '../dist/server/logger.js';

const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'rc-recovery-'));
const config = parseConfig(
  {
    websocket: { host: '127.0.0.1', port: 0 },
    worker: { storage_dir: join(dir, 'projects'), max_memory_mb: 64, stable_after: 0.2 },
    ipc: { command_socket: `ipc://${join(dir, 'cmd.ipc')}`, callback_socket: `ipc://${join(dir, 'cb.ipc')}` },
    auth: { token: 'measure' },
    log: { file: join(dir, 'app.log'), level: 'warn', console: false },
  },
  dir,
  {},
);
const broker = await startBroker(config, { logger: createLogger(config.log) });
const socket = io(`http://127.0.0.1:${broker.port}`, { auth: { token: 'measure' }, transports: ['websocket'] });
await new Promise((r) => socket.once('connect', r));
const call = (event, payload, ms = 60_000) => socket.timeout(ms).emitWithAck(event, payload);
const method = (m, args) => call('process', { params: { object: 'faulty', method: m, ...(args ? { args } : {}) } });

const zipOf = (folder) => {
  const zip = new AdmZip();
  for (const name of readdirSync(folder)) zip.addFile(name, readFileSync(join(folder, name)));
  return zip.toBuffer();
};
const faulty = zipOf(new URL('../tests/fixtures/faulty/', import.meta.url).pathname);
await call('update', { data: faulty });
const bad = new AdmZip();
bad.addFile('main.js', Buffer.from('exports.x = {;'));
const badZip = bad.toBuffer();

/** ms from `trigger()` until `faulty.ok` answers success again. */
async function recovery(trigger) {
  const t0 = performance.now();
  await trigger();
  // Bounded: a fault the broker does not recover from in 60 s is reported as such.
  while (performance.now() - t0 < 60_000) {
    const r = await method('ok', [1]).catch(() => ({ status: 'error' }));
    if (r.status === 'success') return performance.now() - t0;
    await new Promise((res) => setTimeout(res, 5));
  }
  return Infinity;
}

const faults = {
  'process.exit in a timer': () => method('exit').then(() => new Promise((r) => setTimeout(r, 20))),
  'process.exit during a call': () => method('exitNow'),
  'uncaught exception in a timer': () => method('throwInTimer').then(() => new Promise((r) => setTimeout(r, 20))),
  'unhandled rejection': () => method('rejectUnhandled').then(() => new Promise((r) => setTimeout(r, 20))),
  'out of memory (64 MB heap)': () => method('eatMemory'),
  'endless loop (heartbeat kill)': () => method('hang'),
  'never-resolving Promise (call only)': async () => void method('never'),
  'crash with the standby spare frozen (SIGSTOP)': async () => {
    const spare = workerPids().find((pid) => pid !== broker.supervisor.status().pid);
    if (spare) process.kill(spare, 'SIGSTOP');
    await method('exitNow');
  },
  'update (small project) -> ready': () => call('update', { data: faulty }),
  'bad update (syntax error) -> discarded': () => call('update', { data: badZip }),
};

/** This process's worker children (the current worker and its spare). */
function workerPids() {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(process.pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/main.js');
      } catch {
        return false;
      }
    });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [name, trigger] of Object.entries(faults)) {
  const times = [];
  for (let i = 0; i < rounds; i++) {
    times.push(await recovery(trigger));
    process.stderr.write(`  ${name}: ${Math.round(times.at(-1))} ms\n`);
    // Let the standby spare come back before the next round.
    await new Promise((r) => setTimeout(r, 800));
  }
  rows.push({ fault: name, median_ms: Math.round(median(times)), min_ms: Math.round(Math.min(...times)), max_ms: Math.round(Math.max(...times)) });
  console.log(`${name.padEnd(44)} median ${String(rows.at(-1).median_ms).padStart(6)} ms  (min ${rows.at(-1).min_ms}, max ${rows.at(-1).max_ms}, n=${rounds})`);
}
socket.close();
await broker.close();
rmSync(dir, { recursive: true, force: true });
