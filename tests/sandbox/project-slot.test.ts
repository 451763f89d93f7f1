/**
 * WorkerProcess.projectPath (the seam the supervisor uses): a release folder is made
 * visible to a worker that was spawned before anyone knew which release it would
 * load. Sandboxed, the worker finds it at /run/robot/project, read-only, and sees
 * nothing else of storage; without a sandbox it gets the host folder itself. A real
 * WorkerProcess in a real bubblewrap sandbox, running a stand-in script.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkerConfig } from '../../dist/ipc/worker-protocol.js';
import { closeLogger, createLogger, type Logger } from '../../dist/server/logger.js';
import { paths } from '../../dist/server/paths.js';
import { WorkerSandbox } from '../../dist/server/sandbox/sandbox.js';
import { WorkerProcess } from '../../dist/server/worker-process.js';
import { readLog, tempDir, testConfig, waitFor } from '../helpers/broker.js';
import { FIXTURES } from '../helpers/zip.js';

const PROBE_DIR = join(FIXTURES, 'sandbox-probe');
const running: WorkerProcess[] = [];
const loggers: Logger[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(running.map((w) => w.kill(500)));
  await Promise.all(loggers.map(closeLogger));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function spawnProbe(mode: 'bwrap' | 'none') {
  const dir = tempDir('rc-slot-');
  dirs.push(dir);
  // The stand-in script is opened to the sandbox the way an operator opens a folder: worker.allow_paths, read-only.
  const config = testConfig(dir, { worker: { sandbox: mode, allow_paths: [`${PROBE_DIR}:ro`] } });
  const log = createLogger(config.log);
  loggers.push(log);
  const sandbox = await WorkerSandbox.create({ config, secrets: [], onRobotLog: () => {}, packageRoot: paths.root, defaultProject: paths.defaultProject });
  mkdirSync(config.worker.storage_dir, { recursive: true });
  writeFileSync(join(config.worker.storage_dir, 'other-project.txt'), 'not yours');
  const release = join(config.worker.storage_dir, '.releases', 'r1');
  mkdirSync(join(release, 'lib'), { recursive: true });
  writeFileSync(join(release, 'main.js'), 'exports.x = 1;\n');
  writeFileSync(join(release, 'lib', 'util.js'), '\n');
  // Not a worker config field: the probe looks for the host storage folder at this path.
  const workerConfig = { generation: 7, probeStorageDir: config.worker.storage_dir } as unknown as WorkerConfig;
  const w = new WorkerProcess({ script: join(PROBE_DIR, 'probe.mjs'), config: workerConfig, maxMemoryMb: 64, log, sandbox });
  running.push(w);
  const seen = () => readLog(config.log.file).filter((l) => l.msg === 'probe' && l.gen === 7);
  return { w, release, seen, config };
}

describe('projectPath', () => {
  it('sandboxed: fills the worker\'s slot from outside; the worker sees the release read-only at a fixed path, and no other storage', async () => {
    const { w, release, seen, config } = await spawnProbe('bwrap');
    await waitFor(() => seen().length > 0, 15_000, 'the probe to report');
    expect(seen().at(-1)).toMatchObject({ project: [], helloInEnv: false });
    const nothingOfStorage = [[], 'ENOENT']; // an empty folder, or none (this test's storage is under the host's /tmp)
    expect(nothingOfStorage).toContainEqual(seen().at(-1)!.storage);
    expect(await w.projectPath(release)).toBe('/run/robot/project');
    await waitFor(() => JSON.stringify(seen().at(-1)?.project) === JSON.stringify(['lib', 'main.js']), 10_000, 'the release in the slot');
    const last = seen().at(-1)!;
    expect(last.writeProject).toBe('EROFS');
    expect(nothingOfStorage).toContainEqual(last.storage); // the slot's host folder is inside storage: still nothing of it is visible
    expect(last.data).toBe('ok');
    expect(existsSync(join(release, 'written'))).toBe(false);
    expect(existsSync(join(config.worker.data_dir, 'written'))).toBe(true);
    const slot = join(config.worker.storage_dir, '.slots', '7');
    expect(existsSync(join(slot, 'main.js'))).toBe(true);
    await w.kill(500);
    await waitFor(() => !existsSync(slot), 5000, 'the slot to go with its worker');
  });

  it('without a sandbox: the host folder itself', async () => {
    const { w, release, seen } = await spawnProbe('none');
    await waitFor(() => seen().length > 0, 15_000, 'the probe to report');
    expect(await w.projectPath(release)).toBe(release);
    await w.kill(500);
  });
});
