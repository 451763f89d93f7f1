/**
 * A full disk degrades, never crashes: log lines that cannot be written are
 * dropped and counted (/health says `degraded`, /stats counts), calls keep
 * working, an update that cannot be unpacked answers E_DISK_FULL and the previous
 * project stays. Real ENOSPC: a log file that is a link to /dev/full, and storage
 * and logs on a small tmpfs filled to the brim (tests run as root here and in CI).
 * An upload in pieces, unpacked while it arrives, meets the full disk the same way.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, readLog, startTestBroker, tempDir, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { get } from '../observability/helpers.js';
import { inPieces, installProbe } from '../zip-safety/support.js';

interface Health {
  status: string;
  reason?: string;
  logs: { writing: boolean; dropped: number; error: string | null };
}

let t: TestBroker | undefined;
let c: Client;

/** Poll /health until `predicate` holds, making a call each time (something to log: a tmpfs page may still take a line or two). */
async function healthUntil(predicate: (h: Health, status: number) => boolean, what: string): Promise<Health> {
  let last: Health | undefined;
  await waitFor(async () => {
    await call(c, 'start', {});
    const r = await get<Health>(t!.url, '/health');
    last = r.json;
    return predicate(r.json, r.status);
  }, 15_000, what);
  return last!;
}

describe('a log file on a device that is always full (/dev/full)', () => {
  let logDir: string;
  beforeAll(async () => {
    logDir = tempDir('rc-devfull-');
    symlinkSync('/dev/full', join(logDir, 'app.log'));
    t = await startTestBroker({ log: { file: join(logDir, 'app.log'), events_file: join(logDir, 'events.log') } });
    c = await t.connect();
  });
  afterAll(async () => {
    await t?.close();
    t = undefined;
    rmSync(logDir, { recursive: true, force: true });
  });

  it('the server serves on; lines are dropped and counted; /health is degraded (200) and says why', async () => {
    for (let i = 0; i < 20; i++) expect((await callMethod(c, 'sport_client', 'GetStatus')).status).toBe('success');
    const health = await healthUntil((h, status) => status === 200 && h.logs.dropped > 0, '/health to count dropped lines');
    expect(health).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^logs not written \(ENOSPC\)/), logs: { writing: false, error: 'ENOSPC' } });
    const stats = await get<{ logs: Health['logs'] }>(t!.url, '/stats', t!.token);
    expect(stats.json.logs.dropped).toBeGreaterThan(0);
    // The other log file is on a disk with room: it is written as ever.
    await waitFor(() => readLog(join(logDir, 'events.log')).some((l) => l.event === 'command'), 5000, 'events.log lines');
  });
});

describe('storage and logs on a full disk (a 16 MiB tmpfs)', () => {
  let mnt: string;
  const filler = (): string => join(mnt, 'filler');
  beforeAll(async () => {
    mnt = tempDir('rc-tmpfs-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      rmSync(mnt, { recursive: true, force: true });
      throw new Error(`cannot mount a tmpfs at ${mnt}: ${(err as Error).message.trim()}. These tests need root (CI runs them as root).`);
    }
    t = await startTestBroker({ worker: { storage_dir: join(mnt, 'projects') }, log: { file: join(mnt, 'logs', 'app.log') } });
    c = await t.connect();
    await installProbe(c, 'v1');
  });
  afterEach(() => {
    rmSync(filler(), { force: true });
  });
  afterAll(async () => {
    await t?.close();
    t = undefined;
    if (mnt) {
      // Lazily: the test's log transport thread still holds app.log open.
      execFileSync('umount', ['--lazy', mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  /** Write zeros into the tmpfs until it is full (bounded: it holds 16 MiB). */
  function fillDisk(): void {
    const fd = openSync(filler(), 'w');
    const chunk = Buffer.alloc(256 * 1024);
    try {
      for (let i = 0; i < 1000; i++) writeSync(fd, chunk);
      throw new Error('the tmpfs never filled up');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
  }

  it('an update answers E_DISK_FULL; the previous project stays and answers; logs are dropped and counted', async () => {
    fillDisk();
    const project = zipFiles({ 'main.js': 'exports.probe = { version: () => "v2", add: (a, b) => a + b };\n', 'data.bin': Buffer.alloc(1024 * 1024) });
    const r = await call(c, 'update', { data: project });
    expect(r.data, JSON.stringify(r)).toMatchObject({ code: 'E_DISK_FULL', path: expect.stringContaining(join(mnt, 'projects', '.staging')) });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v1');
    expect(((await call(c, 'start', {})).data as { objects: Record<string, string[]> }).objects.probe).toEqual(expect.arrayContaining(['version', 'add']));
    expect(readdirSync(join(mnt, 'projects', '.staging'))).toEqual([]);
    // In pieces (unpacked while it arrives, until the disk is full): the same answer, and nothing left behind.
    const pieces = await inPieces(c, project);
    expect(pieces.data, JSON.stringify(pieces)).toMatchObject({ code: 'E_DISK_FULL', path: expect.stringContaining(join(mnt, 'projects', '.staging')) });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v1');
    expect(readdirSync(join(mnt, 'projects', '.staging'))).toEqual([]);
    const health = await healthUntil((h) => h.logs.error === 'ENOSPC', '/health to say the log disk is full');
    expect(health).toMatchObject({ status: 'degraded', logs: { writing: false } });
  });

  it('once there is room again, logs are written again and the next update works', async () => {
    fillDisk();
    await healthUntil((h) => h.logs.error === 'ENOSPC', 'the disk to count as full');
    rmSync(filler());
    const h = await healthUntil((x) => x.status === 'ok', '/health to be ok again');
    expect(h.logs).toMatchObject({ writing: true, error: null });
    expect(h.logs.dropped).toBeGreaterThan(0); // a running total
    await installProbe(c, 'v3');
  });
});
