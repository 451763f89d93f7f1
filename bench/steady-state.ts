/**
 * `node dist/bench/steady-state.js [--blocks N] [--block CALLS] [--warm N] [--other-dist DIR] [--log-level L]`:
 * the `process` round trip once the JIT has settled, and where each process's CPU goes.
 * Starts this checkout's broker (and, with --other-dist, a second build of it beside it,
 * for an A/B) and the raw chain, warms each with --warm sequential calls (15,000: the
 * broker's p99 shrinks for about 10,000 after start), then runs --blocks blocks of --block
 * (2,000) sequential calls against each in turn (the order reversed every block). Prints each
 * block's p50 and p99, the median over blocks of the broker/chain ratios, and the CPU of
 * every thread of each broker's processes over the blocks, per call (from /proc, so the
 * other tenants' load does not move it): the server's main thread, pino's log thread,
 * ZeroMQ's I/O thread, the worker's. Its temp folder goes at the end (BENCH_KEEP=1 keeps it).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Socket } from 'socket.io-client';
import * as client from './client.js';
import { serverScript, startServer, type ServerHandle } from './host.js';
import { threadCpuMs, workerPids } from './procfs.js';
import { smallProjectZip } from './project.js';
import { median, percentile } from './stats.js';

const { values } = parseArgs({
  options: { blocks: { type: 'string', default: '8' }, block: { type: 'string', default: '2000' }, warm: { type: 'string', default: '15000' }, 'other-dist': { type: 'string' }, 'log-level': { type: 'string', default: 'info' } },
});
const BLOCK = Number(values.block);
const TIMEOUT_MS = 120_000;
const blocks = Number(values.blocks);
const dir = mkdtempSync(join(os.tmpdir(), 'rc-steady-'));

interface Subject {
  name: string;
  server: ServerHandle<{ port: number; token?: string; responderPid?: number }>;
  socket: Socket;
  broker: boolean;
}

async function subject(name: string, script: string, env: NodeJS.ProcessEnv, broker: boolean): Promise<Subject> {
  mkdirSync(join(dir, name));
  const server = await startServer<Subject['server']['info']>(name, serverScript(script), { env: { ...env, BENCH_DIR: join(dir, name) } });
  const socket = await client.connect(server.info.port, server.info.token, broker);
  if (broker) await client.upload(socket, smallProjectZip(), TIMEOUT_MS);
  return { name, server, socket, broker };
}

const brokerEnv = (dist: string) => ({ BENCH_LOG_LEVEL: values['log-level'], BENCH_BROKER_DIST: dist });
const subjects = [await subject('broker', 'broker-server', brokerEnv(''), true)];
if (values['other-dist']) subjects.push(await subject('other', 'broker-server', brokerEnv(values['other-dist']), true));
const chain = await subject('chain', 'chain-floor', {}, false);
subjects.push(chain);
try {
  for (const s of subjects) await client.sequential(s.socket, Number(values.warm), TIMEOUT_MS);
  const pidsOf = (s: Subject) => [s.server.pid, ...(s.broker ? workerPids(s.server.pid) : [s.server.info.responderPid!])];
  const cpuBefore = new Map(subjects.map((s) => [s, pidsOf(s).map((pid) => ({ pid, cpu: threadCpuMs(pid) }))]));
  const ratios = new Map<Subject, { p50: number[]; p99: number[] }>(subjects.filter((s) => s.broker).map((s) => [s, { p50: [], p99: [] }]));
  for (let b = 0; b < blocks; b++) {
    const order = b % 2 === 0 ? subjects : [...subjects].reverse();
    const lat = new Map<Subject, number[]>();
    for (const s of order) lat.set(s, (await client.sequential(s.socket, BLOCK, TIMEOUT_MS)).latenciesUs);
    const at = (s: Subject, p: number) => percentile(lat.get(s)!, p);
    for (const [s, r] of ratios) {
      r.p50.push(at(s, 50) / at(chain, 50));
      r.p99.push(at(s, 99) / at(chain, 99));
    }
    console.log(`block ${b + 1}: ${subjects.map((s) => `${s.name} p50 ${at(s, 50).toFixed(0)} p99 ${at(s, 99).toFixed(0)} µs`).join(' | ')}`);
  }
  for (const [s, r] of ratios) console.log(`${s.name} / chain, median over blocks: p50 ${median(r.p50).toFixed(2)}x, p99 ${median(r.p99).toFixed(2)}x`);
  const calls = blocks * BLOCK;
  for (const s of subjects) {
    for (const { pid, cpu } of cpuBefore.get(s)!) {
      // Every thread, idle ones too: /proc counts in 10 ms ticks, so a thread that used less over the blocks reads 0.
      const used = [...threadCpuMs(pid)].map(([t, ms]) => [t, ms - (cpu.get(t) ?? 0)] as const);
      console.log(`${s.name} pid ${pid} CPU per call: ${used.map(([t, ms]) => `${t} ${((ms * 1000) / calls).toFixed(1)} µs`).join(', ')}`);
    }
  }
} finally {
  for (const s of subjects) {
    s.socket.close();
    await s.server.stop();
  }
  if (process.env.BENCH_KEEP === '1') console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
