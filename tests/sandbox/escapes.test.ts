/**
 * An uploaded project (tests/fixtures/escape-artist, sent as a real ZIP) tries every
 * way out of its worker against a real server process started as `npm start` starts
 * it, with the token in its environment. Under `sandbox: bwrap` each attempt fails and
 * the broker serves on. Under `sandbox: none` (the trusted-code mode) the same project
 * works and shows what robot code can do there, and the IPC protections still hold.
 * Last, orphans (issue #11): the project spins its worker, the server is killed -9, and
 * every process that was below the server must be gone within 2 s.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, collect, connectClient, readLog, waitFor, type Client } from '../helpers/broker.js';
import { fixtureZip } from '../helpers/zip.js';
import { descendants, killAll, stillRunning, withMarker } from '../helpers/procs.js';
import { stillServing } from './rogue.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

const CHECKOUT = new URL('../../', import.meta.url).pathname;
/** The promise: a worker and what it started are gone within 2 s of the server's death. */
const ORPHAN_WITHIN_MS = 2000;
/** What a loaded 2-core CI box may add before the check itself sees it. */
const SLACK_MS = 1000;

interface Attempt {
  ok: boolean;
  code?: string;
  value?: unknown;
}
interface Probe {
  found: Array<{ pid: number; config: string | null }>;
  envNames: string[];
  token: boolean;
  environ: Attempt;
  cmdline: Attempt;
  config: Attempt;
  log: Attempt;
  signal: Attempt;
  writes: Record<'checkout' | 'configDir' | 'etc' | 'usr' | 'tmp' | 'data' | 'project', Attempt>;
  beside: Attempt;
}

describe.each(['bwrap', 'none'] as const)('robot code trying its way out, sandbox: %s', (mode) => {
  const marker = `escape-${randomBytes(4).toString('hex')}`;
  /** Digits only: it rides in `sleep`'s argument. */
  const sleeper = String(100_000 + Math.floor(Math.random() * 800_000));
  let s: ServerProcess;
  let c: Client;
  let statuses: Array<{ state: string; reason: string | null }>;
  let robotLog: Array<{ line: string }>;
  const logFile = () => join(s.dir, 'logs', 'app.log');
  const stats = async () =>
    (await (await fetch(`${s.url}stats?token=${s.token}`)).json()) as { security: { ipcRejected: { byReason: Record<string, number> } } };

  beforeAll(async () => {
    s = await startServerProcess({ sandbox: mode }, { ROBOT_CONTROL_TOKEN: `tok${randomBytes(16).toString('hex')}` });
    c = await connectClient(s.url, { token: s.token });
    statuses = collect(c, 'worker_status');
    robotLog = collect(c, 'robot_log');
    expect((await call(c, 'update', { data: fixtureZip('escape-artist') })).status).toBe('success');
  });
  afterAll(async () => {
    c?.close();
    s?.proc.kill('SIGTERM');
    await s?.proc;
    killAll(withMarker(`1000.${sleeper}`));
    for (const dir of [CHECKOUT, '/etc', '/usr', '/tmp']) rmSync(join(dir, marker), { force: true });
    rmSync(s.dir, { recursive: true, force: true });
  });

  it('the banner and /health say what robot code runs in', async () => {
    expect(s.output()).toContain(mode === 'bwrap' ? 'Sandbox:        bwrap' : 'Sandbox:        WARNING: worker.sandbox is "none"');
    const health = (await (await fetch(`${s.url}health`)).json()) as { sandbox: unknown };
    expect(health.sandbox).toEqual(mode === 'bwrap' ? { mode: 'bwrap' } : { mode: 'none', warning: expect.stringContaining('trusted code only') });
  });

  it('reads no token, no config, no log; cannot see or signal the server; writes only to tmp and its data folder', async () => {
    // Under none, writing to the host's /etc, /usr and the checkout would succeed (root): not tried.
    const ack = await callMethod<Probe>(c, 'escape', 'probe', [{ serverPid: s.pid, configFile: s.configFile, logFile: logFile(), marker, system: mode === 'bwrap' }]);
    expect(ack.status).toBe('success');
    const r = ack.data as Probe;
    expect(r.envNames).toEqual([]); // never ROBOT_CONTROL_*, in either mode
    expect(r.writes.tmp.ok).toBe(true);
    expect(r.writes.data.ok).toBe(true);
    expect(existsSync(join(s.dir, 'storage', 'robot-data', marker))).toBe(true); // the data folder is on the host
    if (mode === 'bwrap') {
      expect(r.writes.etc.ok).toBe(false);
      expect(r.writes.usr.ok).toBe(false);
      expect(r.found).toEqual([]);
      expect(r.token).toBe(false);
      expect(r.environ.ok).toBe(false);
      expect(r.cmdline.ok).toBe(false);
      expect(r.config).toMatchObject({ ok: false, code: 'ENOENT' });
      expect(r.log).toMatchObject({ ok: false, code: 'ENOENT' });
      expect(r.signal).toMatchObject({ ok: false, code: 'ESRCH' });
      // A checkout under /tmp (a CI clone) is inside the sandbox's own /tmp: the write lands there, never in the checkout.
      if (!CHECKOUT.startsWith('/tmp/')) expect(r.writes.checkout).toMatchObject({ ok: false, code: 'EROFS' });
      expect(existsSync(join(CHECKOUT, marker))).toBe(false);
      // This test's config folder is under /tmp: the write lands in the sandbox's own /tmp, never beside the config.
      expect(existsSync(join(s.dir, marker))).toBe(false);
      // The project folder is the read-only slot; /run/robot holds its data folder and its own project, nothing of storage.
      expect(r.writes.project).toMatchObject({ ok: false, code: 'EROFS' });
      expect(r.beside).toEqual({ ok: true, value: ['data', 'project'] });
      expect(existsSync(`/tmp/${marker}`)).toBe(false); // its /tmp was its own
    } else {
      // The trusted-code mode: the broker's own privileges. The same attempts succeed.
      expect(r.found).toContainEqual({ pid: s.pid, config: s.configFile });
      expect(r.token).toBe(true);
      expect(r.config.ok).toBe(true);
      expect(r.signal.ok).toBe(true);
      expect(r.writes.configDir.ok).toBe(true);
    }
  });

  it('cannot forge the broker\'s log lines; the token it may have read is redacted', async () => {
    const ack = await callMethod<{ fd3: boolean; token: boolean }>(c, 'escape', 'forge', [{ serverPid: s.pid }]);
    expect(ack.status).toBe('success');
    const forged = ['forged-console', 'forged-stderr', 'forged-child'];
    await waitFor(() => forged.every((f) => readLog(logFile()).some((l) => l.src === 'robot' && String(l.msg).includes(f))), 10_000, 'the robot output lines');
    const events = join(s.dir, 'logs', 'events.log');
    await waitFor(() => readLog(events).some((l) => l.event === 'command' && l.command === 'process' && l.object === 'escape' && l.method === 'forge'), 10_000, 'the command line');
    const eventLines = readFileSync(events, 'utf8');
    expect(eventLines).not.toContain('forged-');
    for (const l of readLog(logFile()).filter((l) => JSON.stringify(l).includes('forged-'))) {
      // Robot output is text under src "robot"; a line on the worker's own pipe is the worker's, its claims nested.
      expect(l.proc).toBe('worker');
      expect(l.event).toBeUndefined();
      expect(l.channel).toBeUndefined();
      expect(l.pid).not.toBe(s.pid);
    }
    // All of it reached the client as robot_log, as text.
    await waitFor(() => forged.every((f) => robotLog.some((l) => l.line.includes(f))), 10_000, 'robot_log lines');
    const token = (ack.data as { token: boolean }).token;
    expect(token).toBe(mode === 'none'); // readable in the trusted mode only...
    if (mode === 'none') {
      // ...and printed, it is redacted in the log and in robot_log.
      await waitFor(() => robotLog.some((l) => l.line.startsWith('the token is ')), 10_000, 'the printed token');
      expect(robotLog.find((l) => l.line.startsWith('the token is '))!.line).toBe('the token is [redacted]');
      await waitFor(() => readFileSync(logFile(), 'utf8').includes('the token is [redacted]'), 10_000, 'the redacted log line');
    }
    expect(readFileSync(logFile(), 'utf8')).not.toMatch(/tok[0-9a-f]{32}/);
    expect(robotLog.some((l) => /tok[0-9a-f]{32}/.test(l.line))).toBe(false);
  });

  it('a rogue ZeroMQ peer it starts (null frames, reserved events, forged replies, fake ready) changes nothing', async () => {
    const before = (await stats()).security.ipcRejected.byReason;
    const generation = lastGeneration(statuses);
    const ack = await callMethod<{ ok: boolean; output: string }>(c, 'escape', 'rogue', [{ command: s.endpoints.command, callback: s.endpoints.callback, generation }], 30_000);
    expect(ack.status).toBe('success');
    expect(ack.data).toMatchObject({ ok: true, output: 'rogue done' });
    await stillServing(c, 'after the rogue', 10_000, 'escape');
    // The rogue's frames may still be in the server's queues when its process says it is done (a loaded machine).
    let after = before;
    await waitFor(
      async () => {
        after = (await stats()).security.ipcRejected.byReason;
        return after.bad_frame! - before.bad_frame! >= 3 && after.reserved_event! - before.reserved_event! >= 2 && after.ready_refused! - before.ready_refused! >= 4 && after.wrong_worker! - before.wrong_worker! >= 1;
      },
      10_000,
      'the rogue frames to be counted',
    );
    expect(after.bad_frame! - before.bad_frame!).toBeGreaterThanOrEqual(3);
    expect(after.reserved_event! - before.reserved_event!).toBe(2);
    expect(after.ready_refused! - before.ready_refused!).toBe(4);
    // Its reply to the call in flight (the rogue call itself); a heartbeat ping in flight at that moment may be forged too.
    expect(after.wrong_worker! - before.wrong_worker!).toBeGreaterThanOrEqual(1);
    expect(statuses.some((st) => st.reason === 'forged')).toBe(false);
    expect(robotLog.some((l) => typeof l.line !== 'string')).toBe(false); // the forged robot_log push never reached the client
    // The next update promotes the real spare: the robot's own code answers.
    expect((await call(c, 'update', { data: fixtureZip('escape-artist') })).status).toBe('success');
    await stillServing(c, 'after an update that followed a fake ready', 10_000, 'escape');
  });

  it('what it starts does not outlive its worker generation', async () => {
    expect((await callMethod(c, 'escape', 'linger', [sleeper])).status).toBe('success');
    await waitFor(() => withMarker(`1000.${sleeper}`).length === 2, 10_000, 'both children to run');
    expect((await call(c, 'update', { data: fixtureZip('escape-artist') })).status).toBe('success');
    await waitFor(() => withMarker(`1000.${sleeper}1`).length === 0, 10_000, 'the child in its process group to go');
    if (mode === 'bwrap') await waitFor(() => withMarker(`1000.${sleeper}2`).length === 0, 10_000, 'the child in a session of its own to go');
    // (none: a child that leaves the process group outlives the worker; docs/SECURITY.md says so)
    await stillServing(c, 'after the update', 10_000, 'escape');
  });

  it('when the server is killed -9, a worker spinning in synchronous code and what it started exit within 2 s', async () => {
    // Under none a child that leaves the process group escapes (docs/SECURITY.md): only the sandbox catches it.
    expect((await callMethod(c, 'escape', 'spin', [sleeper, mode === 'bwrap'])).data).toBe('spinning');
    const running = (n: number) => withMarker(`1000.${sleeper}${n}`).length === 1;
    await waitFor(() => running(3) && (mode !== 'bwrap' || running(4)), 10_000, 'the children to run');
    // The spinning worker, its spare (spawned once the last update settled), the robot's children (and bwrap's own).
    await waitFor(() => descendants(s.pid).length >= 3, 10_000, 'the spare beside the spinning worker');
    const below = descendants(s.pid);
    const killedAt = Date.now();
    s.proc.kill('SIGKILL');
    const left = () => stillRunning(below).map((p) => p.cmdline.slice(0, 80));
    await waitFor(() => left().length === 0, ORPHAN_WITHIN_MS + SLACK_MS, 'every process below the server to exit');
    expect(Date.now() - killedAt).toBeLessThan(ORPHAN_WITHIN_MS + SLACK_MS);
  });
});

function lastGeneration(statuses: Array<{ state: string; reason: string | null; generation?: number }>): number {
  return (statuses.filter((s) => s.state === 'ready').at(-1) as { generation: number }).generation;
}
