/**
 * Stop during each operation (issue #11): whatever the lifecycle is doing when the
 * broker closes, after "broker stopped" nothing moves (no transition, no spawn), no
 * worker process is left, and storage still holds the last good project.
 *
 * The first case is the one the issue found: closing the broker while the old worker
 * runs a slow stop() hook during an update logged {from: "stopped", to: "restarting"}
 * and spawned a worker.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { call, callMethod, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { brokerRunning, descendants, hangingProject, versionProject, workersAmong } from './support.js';

let t: TestBroker | undefined;
afterEach(async () => {
  await t?.close().catch(() => {});
  t = undefined;
});

async function brokerWith(version: string, worker: Record<string, unknown> = {}, options: { stopMs?: number } = {}): Promise<Client> {
  let c: Client;
  ({ t, c } = await brokerRunning(versionProject(version, options), worker));
  expect((await callMethod(c, 'probe', 'version')).data).toBe(version); // loaded: its stop() hook will run
  return c;
}

/** A new log line matching `pred` appears (lines before the call do not count). */
async function logged(pred: (l: Record<string, unknown>) => boolean, what: string): Promise<void> {
  const before = t!.logLines().filter(pred).length;
  await waitFor(() => t!.logLines().filter(pred).length > before, 15_000, what);
}

/** Close now; then give a late operation every chance to act, and check it did not. */
async function closeAndCheck(settleMs = 1500): Promise<void> {
  await t!.broker.close();
  await new Promise((r) => setTimeout(r, settleMs));
  const lines = t!.logLines();
  const stopping = lines.findIndex((l) => l.msg === 'broker stopping');
  const stopped = lines.findIndex((l) => l.msg === 'broker stopped');
  expect(stopped).toBeGreaterThan(-1);
  const after = lines.slice(stopped + 1).filter((l) => l.msg === 'worker state' || /spawned|promoted|taken/.test(String(l.msg)));
  expect(after, JSON.stringify(after)).toEqual([]);
  expect(lines.slice(stopping).filter((l) => l.msg === 'worker spawned')).toEqual([]);
  expect(lines.filter((l) => l.msg === 'illegal worker state change refused')).toEqual([]);
  expect(workersAmong(descendants(process.pid))).toEqual([]);
}

const current = () => readlinkSync(join(t!.config.worker.storage_dir, 'current'));

it('stop while the old worker runs a slow stop() hook after an update: nothing spawns after stop', async () => {
  const c = await brokerWith('slow', {}, { stopMs: 1500 });
  void call(c, 'update', { data: versionProject('next') }, 5000).catch(() => null);
  await logged((l) => l.msg === 'worker state' && l.reason === 'update', 'the update to promote its worker');
  await closeAndCheck(2500); // the stop hook ends 1.5 s after it began
});

it('stop while an update verifies (its load hangs): the serving project stays current', async () => {
  const c = await brokerWith('v1');
  const before = current();
  const ack = call(c, 'update', { data: hangingProject() }, 10_000).catch(() => null);
  await logged((l) => l.msg === 'update: loading the staged release', 'the candidate to load');
  await closeAndCheck();
  await ack;
  expect(current()).toBe(before);
});

it('stop while an upload is being unpacked', async () => {
  const c = await brokerWith('v1');
  const before = current();
  const noise = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE((i * 2654435761) >>> 0, i);
  void call(c, 'update', { data: zipFiles({ 'main.js': 'exports.x = {};', 'blob.bin': noise }) }, 10_000).catch(() => null);
  const staging = join(t!.config.worker.storage_dir, '.staging');
  await waitFor(() => readdirSync(staging).length > 0, 15_000, 'the upload to be unpacking');
  await closeAndCheck();
  expect(current()).toBe(before);
});

it('stop while a crashed worker is being replaced', async () => {
  await brokerWith('v1');
  process.kill(t!.broker.supervisor.status().pid!, 'SIGKILL');
  await logged((l) => l.msg === 'worker died', 'the crash to be seen');
  await closeAndCheck();
});

it('stop while `start` leaves the failed state', async () => {
  const c = await brokerWith('v1', { restart_limit: 0 });
  process.kill(t!.broker.supervisor.status().pid!, 'SIGKILL');
  await waitFor(() => t!.broker.supervisor.status().state === 'failed', 10_000, 'the failed state');
  void call(c, 'start', {}, 5000).catch(() => null);
  await logged((l) => l.msg === 'worker state' && l.reason === 'failed state cleared', 'the restart from failed');
  await closeAndCheck();
});
