/** `npm run logs`: the compiled viewer, run as a process on log files written here. */
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/broker.js';

const VIEWER = new URL('../../dist/server/observability/log-viewer.js', import.meta.url).pathname;
const now = Date.now();
const MIN = 60_000;

const line = (o: Record<string, unknown>) => JSON.stringify({ proc: 'server', pid: 1, ...o }) + '\n';
const APP = [
  line({ level: 30, time: now - 180 * MIN, channel: 'events', event: 'client_connected', address: '10.0.0.9', msg: 'client connected' }),
  line({ level: 50, time: now - 120 * MIN, msg: 'old failure' }),
  line({ level: 40, time: now - 30 * MIN, channel: 'events', event: 'command', command: 'process', object: 'arm', method: 'wave', ms: 40, outcome: 'error', code: 'E_TIMEOUT', msg: 'process failed' }),
  'this line is not JSON\n',
  line({ level: 30, time: now - 10 * MIN, channel: 'events', event: 'command', command: 'process', object: 'arm', method: 'wave', ms: 10, outcome: 'success', msg: 'process ok' }),
  line({ level: 60, time: now - 1 * MIN, msg: 'boom' }),
].join('');
const EVENTS = [
  line({ level: 40, time: now - 5 * MIN, channel: 'events', event: 'auth_failed', surface: 'stats', address: '10.0.0.7', msg: 'stats: unauthorized' }),
  line({ level: 30, time: now - 4 * MIN, channel: 'events', event: 'worker_state', state: 'restarting', reason: 'crash: exit code 1', msg: 'worker restarting' }),
].join('');

let dir: string;
let appLog: string;
let config: string;

beforeAll(() => {
  dir = tempDir('rc-viewer-');
  mkdirSync(join(dir, 'logs'));
  appLog = join(dir, 'logs', 'app.log');
  writeFileSync(appLog, APP);
  writeFileSync(join(dir, 'logs', 'security.log'), EVENTS);
  config = join(dir, 'config.yaml');
  // Relative paths resolve against the config file's folder, as for the broker.
  writeFileSync(config, 'log:\n  file: ./logs/app.log\n  events_file: ./logs/security.log\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs = (...args: string[]) => execa('node', [VIEWER, '--config', config, ...args], { reject: false, env: { NO_COLOR: '1' } });
const jsonLines = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('npm run logs', () => {
  it('shows every entry of the configured app.log, pretty, skipping lines that are not log entries', async () => {
    const r = await logs();
    expect(r.exitCode).toBe(0);
    const out = r.stdout.split('\n');
    expect(out).toHaveLength(5);
    expect(out[0]).toMatch(/INFO.*client connected/);
    expect(out[4]).toMatch(/FATAL.*boom/);
    expect(r.stdout).not.toContain('not JSON');
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colour when piped
  });

  it('--level keeps that level and above', async () => {
    const r = await logs('--level', 'error', '--json');
    expect(jsonLines(r.stdout).map((e) => e.msg)).toEqual(['old failure', 'boom']);
  });

  it('--since keeps what is recent enough', async () => {
    expect(jsonLines((await logs('--since', '1h', '--json')).stdout).map((e) => e.msg)).toEqual(['process failed', 'process ok', 'boom']);
    expect(jsonLines((await logs('--since', '15m', '--json')).stdout).map((e) => e.msg)).toEqual(['process ok', 'boom']);
    const iso = new Date(now - 150 * MIN).toISOString();
    expect(jsonLines((await logs(`--since=${iso}`, '--json')).stdout)).toHaveLength(4);
  });

  it('--errors keeps errors and entries with an error code; --errors HOURS limits them in time', async () => {
    expect(jsonLines((await logs('--errors', '--json')).stdout).map((e) => e.msg)).toEqual(['old failure', 'process failed', 'boom']);
    expect(jsonLines((await logs('--errors', '1', '--json')).stdout).map((e) => e.msg)).toEqual(['process failed', 'boom']);
  });

  it('--event, --grep and --lines narrow further', async () => {
    expect(jsonLines((await logs('--event', 'command', '--json')).stdout).map((e) => e.outcome)).toEqual(['error', 'success']);
    expect(jsonLines((await logs('--grep', 'BOOM', '--json')).stdout).map((e) => e.msg)).toEqual(['boom']);
    expect(jsonLines((await logs('-n', '2', '--json')).stdout).map((e) => e.msg)).toEqual(['process ok', 'boom']);
  });

  it('--type events reads the configured events log', async () => {
    const r = await logs('--type', 'events');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/WARN.*stats: unauthorized/);
    expect(r.stdout).toMatch(/worker restarting/);
    expect(r.stdout).not.toContain('boom');
  });

  it('--stats summarises: levels, events, error codes, command latencies', async () => {
    const r = await logs('--stats', '--json');
    expect(r.exitCode).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, any>;
    expect(s).toMatchObject({
      entries: 5,
      unparsed: 1,
      byLevel: { info: 2, warn: 1, error: 1, fatal: 1 },
      byEvent: { command: 2, client_connected: 1 },
      errors: { total: 3, byCode: { E_TIMEOUT: 1 } },
      commands: { process: { count: 2, errors: 1, p50Ms: 10, p95Ms: 40 } },
      methods: { 'arm.wave': { count: 2, errors: 1 } },
    });
    const text = await logs('--stats', '--type', 'events');
    expect(text.stdout).toMatch(/Auth failures: stats 1/);
    expect(text.stdout).toMatch(/restarting 1; crashes 1/);
  });

  it('--stats counts a failed upload once, though it is logged where it failed and as the command\'s outcome', async () => {
    const file = join(dir, 'logs', 'upload.log');
    writeFileSync(
      file,
      [
        line({ level: 40, time: now - 90 * MIN, module: 'supervisor', reqId: 2, code: 'E_PROJECT_LOAD', msg: 'new project failed to load: rolling back' }),
        line({ level: 40, time: now - 90 * MIN + 800, channel: 'events', event: 'command', reqId: 2, command: 'update', ms: 900, outcome: 'error', code: 'E_PROJECT_LOAD', msg: 'update failed' }),
        line({ level: 40, time: now - 80 * MIN, channel: 'events', event: 'command', reqId: 5, command: 'update', ms: 9, outcome: 'error', code: 'E_UNSAFE_ZIP', msg: 'update failed' }),
        line({ level: 40, time: now - 80 * MIN, channel: 'events', event: 'rejected_upload', reqId: 5, code: 'E_UNSAFE_ZIP', msg: 'upload rejected' }),
        // The next broker run numbers its requests from 1 again: another failure.
        line({ level: 40, time: now - 10 * MIN, channel: 'events', event: 'command', reqId: 2, command: 'update', ms: 900, outcome: 'error', code: 'E_PROJECT_LOAD', msg: 'update failed' }),
      ].join(''),
    );
    const s = JSON.parse((await logs('--stats', '--json', '--file', file)).stdout) as { errors: { total: number; byCode: Record<string, number> } };
    expect(s.errors).toMatchObject({ total: 3, byCode: { E_PROJECT_LOAD: 2, E_UNSAFE_ZIP: 1 } });
  });

  it('reads rotated files too, oldest first', async () => {
    const rotated = join(dir, 'rot.log');
    writeFileSync(`${rotated}.2`, line({ level: 30, time: now - 3000, msg: 'first' }));
    writeFileSync(`${rotated}.1`, line({ level: 30, time: now - 2000, msg: 'second' }));
    writeFileSync(rotated, line({ level: 30, time: now - 1000, msg: 'third' }));
    const r = await execa('node', [VIEWER, '--file', rotated, '--json'], { reject: false });
    expect(jsonLines(r.stdout).map((e) => e.msg)).toEqual(['first', 'second', 'third']);
  });

  it('refuses bad options with the usage, and a missing config with one line', async () => {
    const bad = await logs('--level', 'loud');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--level: expected one of/);
    expect(bad.stderr).toMatch(/usage: npm run logs/);
    expect((await logs('--bogus')).exitCode).toBe(2);
    expect((await logs('--type', 'other')).exitCode).toBe(2);
    const missing = await execa('node', [VIEWER, '--config', join(dir, 'nope.yaml')], { reject: false });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^logs: bad config: .*nope\.yaml: cannot read/);
    const help = await logs('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/--live/);
  });

  it('--live shows the last entries, then new ones as they are written, across a rotation', async () => {
    const live = join(dir, 'live.log');
    writeFileSync(live, line({ level: 30, time: now, msg: 'before' }));
    const proc = execa('node', [VIEWER, '--file', live, '--live', '--json', '--level', 'info'], { reject: false });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('"before"'), 10_000, 'the existing entry');
      appendFileSync(live, line({ level: 30, time: Date.now(), msg: 'appended' }));
      appendFileSync(live, line({ level: 20, time: Date.now(), msg: 'filtered out' }));
      await waitFor(() => out.includes('"appended"'), 10_000, 'the appended entry');
      // Rotate the way the broker does: rename the live file away, start a fresh one.
      appendFileSync(live, line({ level: 30, time: Date.now(), msg: 'last of the old file' }));
      renameSync(live, `${live}.1`);
      writeFileSync(live, line({ level: 30, time: Date.now(), msg: 'first of the new file' }));
      await waitFor(() => out.includes('"first of the new file"'), 10_000, 'the entry after rotation');
      expect(out).toContain('"last of the old file"');
      expect(out).not.toContain('filtered out');
      const order = ['before', 'appended', 'last of the old file', 'first of the new file'].map((m) => out.indexOf(`"${m}"`));
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    } finally {
      proc.kill('SIGINT');
    }
    // SIGINT is how a person stops it: a clean exit.
    expect((await proc).exitCode).toBe(0);
  });
});
