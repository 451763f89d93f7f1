/**
 * Stop always ends the process (issue #11, part 6): SIGINT or SIGTERM, to the server
 * alone or to its whole process group (as a terminal's Ctrl+C or a harness does), in
 * any state, and within 5 s nothing of the group is left: not npm, not the server, not
 * a worker. A second signal exits at once.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { call, callMethod, connectClient, waitFor } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { allGone, configYaml, killLeftovers, startServerProcess, type ServerProcess } from './server-process.js';
import { groupMembers, hangingProject, versionProject, workersAmong } from './support.js';

afterEach(killLeftovers);

const LIMIT_MS = 5000;

function signal(s: ServerProcess, sig: NodeJS.Signals, to: 'server' | 'group'): number {
  const server = groupMembers(s.pgid).find((p) => p.cmdline.includes('dist/server/main.js') && !p.cmdline.startsWith('sh '));
  process.kill(to === 'group' ? -s.pgid : server!.pid, sig);
  return Date.now();
}

describe('a signal stops the broker and everything it started', () => {
  it.each([
    ['SIGINT', 'group', 'npm'],
    ['SIGTERM', 'group', 'npm'],
    ['SIGINT', 'server', 'node'],
    ['SIGTERM', 'server', 'node'],
  ] as const)('%s to the %s (%s start), a client connected', async (sig, to, via) => {
    const s = await startServerProcess({ via });
    const c = await connectClient(s.url, { token: s.token });
    expect((await callMethod(c, 'sport_client', 'StandUp')).status).toBe('success');
    expect(workersAmong(s.processes()).length).toBeGreaterThanOrEqual(1);
    const at = signal(s, sig, to);
    expect(await allGone(s, at)).toBeLessThan(LIMIT_MS);
    c.close();
    await s.exited;
    if (via === 'node') expect(s.child.exitCode).toBe(0);
    expect(s.output()).not.toMatch(/exiting now/);
  });

  it('mid-flood: pushes and calls in flight', async () => {
    const s = await startServerProcess({ via: 'npm' });
    const c = await connectClient(s.url, { token: s.token });
    expect((await call(c, 'update', { data: zipFiles({ 'main.js': FLOOD }) })).status).toBe('success');
    void callMethod(c, 'flood', 'run', [200_000], 20_000).catch(() => null);
    for (let i = 0; i < 200; i++) void callMethod(c, 'flood', 'ok', [i], 20_000).catch(() => null);
    await waitFor(() => s.output().includes('flooding'), 10_000, 'the flood to begin');
    const at = signal(s, 'SIGINT', 'group');
    expect(await allGone(s, at)).toBeLessThan(LIMIT_MS);
    c.close();
  });

  it.each([
    ['mid-upload', () => bigProject()],
    ['during a failing update', () => hangingProject()],
  ] as const)('%s', async (what, zip) => {
    const s = await startServerProcess({ via: 'npm' });
    const c = await connectClient(s.url, { token: s.token });
    void call(c, 'update', { data: zip() }, 20_000).catch(() => null);
    // Mid-upload: as soon as it is sent. A failing update: once its candidate is loading (and hangs).
    if (what === 'during a failing update') await waitFor(() => s.output().includes('loading the staged release'), 15_000, 'the load to begin');
    const at = signal(s, 'SIGINT', 'group');
    expect(await allGone(s, at)).toBeLessThan(LIMIT_MS);
    c.close();
  });

  it('a client that just dropped (its process frozen, its connection open)', async () => {
    const s = await startServerProcess({ via: 'node' });
    const client = spawn(process.execPath, ['--input-type=module', '-e', DROPPING_CLIENT, s.url, s.token], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => client.stdout!.once('data', () => r()));
    client.kill('SIGSTOP');
    try {
      const at = signal(s, 'SIGTERM', 'server');
      expect(await allGone(s, at)).toBeLessThan(LIMIT_MS);
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('stdout nobody reads any more (a harness that stopped reading): the log cannot hold the exit', async () => {
    const s = await startServerProcess({ via: 'npm', yaml: configYaml('  console: true') });
    s.stopReading();
    const c = await connectClient(s.url, { token: s.token });
    // Every call logs a line to the console too: fill the stdout pipe.
    const until = Date.now() + 1500;
    while (Date.now() < until) await Promise.all(Array.from({ length: 20 }, () => callMethod(c, 'sport_client', 'GetStatus')));
    const at = signal(s, 'SIGINT', 'group');
    expect(await allGone(s, at)).toBeLessThan(LIMIT_MS);
    c.close();
  });

  it('a signal during start-up stops it too', async () => {
    const s = await startServerProcess({ via: 'node', noWait: true });
    await waitFor(() => workersAmong(s.processes()).length > 0, 15_000, 'a worker to be spawned');
    const at = signal(s, 'SIGINT', 'group');
    expect(await allGone(s, at)).toBeLessThan(LIMIT_MS);
  });

  it('a second signal exits at once (the robot\'s slow stop() hook is cut short)', async () => {
    const s = await startServerProcess({ via: 'node' });
    const c = await connectClient(s.url, { token: s.token });
    expect((await call(c, 'update', { data: versionProject('slow', { stopMs: 30_000 }) })).status).toBe('success');
    expect((await callMethod(c, 'probe', 'version')).data).toBe('slow');
    signal(s, 'SIGINT', 'server');
    await waitFor(() => s.output().includes('broker stopping'), 5000, 'the clean stop to begin');
    await new Promise((r) => setTimeout(r, 400)); // past ECHO_MS: a second signal, not npm's echo of the first
    const again = signal(s, 'SIGINT', 'server');
    expect(await allGone(s, again, 1000)).toBeLessThan(1000);
    // The process is gone; what it wrote last may still be in the pipe, not yet read by this one.
    await waitFor(() => s.output().includes('second SIGINT: exiting now'), 5000, 'its last words: "second SIGINT: exiting now"');
    c.close();
  });
});

/** A ~2 MB project of incompressible data: its upload takes a moment to arrive and unpack. */
function bigProject(): Buffer {
  const noise = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  return zipFiles({ 'main.js': 'exports.probe = { version: () => "big" };\n', 'data.bin': noise });
}

/** Pushes as fast as it can until stopped, and answers calls meanwhile. */
const FLOOD = `
let n = 0, timer = null;
exports.flood = {
  run(total) { console.log('flooding'); timer = setInterval(() => { for (let i = 0; i < 500 && n < total; i++) pushMessage('flood', { i: n++ }); }, 1); return { started: true }; },
  ok(x) { return x; },
};
exports.stop = () => clearInterval(timer);
`;

/** A client in a process of its own: connects, says so, then waits (the test freezes it). */
const DROPPING_CLIENT = `
import { io } from ${JSON.stringify(new URL('../../node_modules/socket.io-client/build/esm-debug/index.js', import.meta.url).pathname)};
const [url, token] = process.argv.slice(-2);
const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
s.on('connect', () => process.stdout.write('connected\\n'));
setInterval(() => {}, 1000);
`;
