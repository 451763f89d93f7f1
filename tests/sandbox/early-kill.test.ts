/**
 * A sandbox whose worker goes in its first milliseconds leaves nothing running, whether
 * the worker is stopped or the server dies. (Seen in CI, both ways: a spare spawned 20 ms
 * before a SIGINT outlived the broker, and one spawned just before a kill -9. bwrap arms
 * --die-with-parent in the sandbox's init only once its mounts are done; its
 * --new-session had put the sandbox in a group of its own, out of the group kill's reach;
 * and a sandboxed worker had no watch of its own on the server.)
 * Real WorkerProcesses, real bwrap, the real worker script for the server's death.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import type { WorkerConfig } from '../../dist/ipc/worker-protocol.js';
import { sleep } from '../../dist/ipc/promises.js';
import { createLogger } from '../../dist/server/logger.js';
import { paths } from '../../dist/server/paths.js';
import { WorkerSandbox } from '../../dist/server/sandbox/sandbox.js';
import { WorkerProcess } from '../../dist/server/worker-process.js';
import { tempDir, testConfig, waitFor } from '../helpers/broker.js';
import { liveProcs, type Proc } from '../helpers/procs.js';
import { FIXTURES } from '../helpers/zip.js';

const PROBE_DIR = join(FIXTURES, 'sandbox-probe');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The sandboxes that name `dir` in their bwrap arguments, and every process below them. */
function sandboxesOf(dir: string): Proc[] {
  const all = liveProcs();
  const found = all.filter((p) => p.cmdline.startsWith('bwrap ') && p.cmdline.includes(dir));
  for (let i = 0; i < found.length; i++) found.push(...all.filter((c) => c.ppid === found[i]!.pid && !found.includes(c)));
  return found;
}

/** Wait (bounded) for `dir`'s sandboxes to be gone; kill and name what is not. */
async function expectNoneLeft(dir: string, withinMs: number): Promise<void> {
  await waitFor(() => sandboxesOf(dir).length === 0, withinMs, 'every sandbox process to exit').catch(() => {});
  const left = sandboxesOf(dir);
  for (const p of left) process.kill(p.pid, 'SIGKILL');
  expect(left.map((p) => `${p.pid} (parent ${p.ppid}, group ${p.pgid}) ${p.cmdline.slice(0, 60)}`)).toEqual([]);
}

it('a worker stopped 0-19 ms after its spawn, 40 times: no process of any of them is left', async () => {
  const dir = tempDir('rc-early-');
  dirs.push(dir);
  const config = testConfig(dir, { worker: { sandbox: 'bwrap', allow_paths: [`${PROBE_DIR}:ro`] } });
  const sandbox = await WorkerSandbox.create({ config, secrets: [], onRobotLog: () => {}, packageRoot: paths.root, defaultProject: paths.defaultProject });
  const log = createLogger(config.log);
  for (let i = 0; i < 40; i++) {
    const workerConfig = { generation: i + 1, probeStorageDir: config.worker.storage_dir } as unknown as WorkerConfig;
    const w = new WorkerProcess({ script: join(PROBE_DIR, 'probe.mjs'), config: workerConfig, maxMemoryMb: 64, log, sandbox });
    await sleep(i % 20);
    await w.kill(1000);
  }
  await expectNoneLeft(dir, 5000);
}, 120_000);

it('a server killed with SIGKILL 0-19 ms after it spawned a worker, 20 times: every sandbox is gone within 2 s', async () => {
  const dir = tempDir('rc-early-');
  dirs.push(dir);
  for (let batch = 0; batch < 4; batch++) {
    const delays = [0, 1, 2, 3, 4].map((k) => batch * 5 + k);
    // Five stand-ins at once, each with a folder of its own (a broker's storage is its own).
    const servers = await Promise.all(delays.map((ms) => execa('node', [join(PROBE_DIR, 'spawn-then-die.mjs'), join(dir, `s${ms}`), String(ms)], { reject: false })));
    for (const server of servers) expect(server.signal, server.stderr).toBe('SIGKILL');
  }
  // Each sandbox's lifeline closed when its server died: 2 s after the last one at most.
  await expectNoneLeft(dir, 2000);
}, 120_000);
