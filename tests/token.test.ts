/**
 * A token that survives restarts: with auth.token empty the broker makes one on its
 * first start, keeps it 0600 in <storage_dir>/.token and reuses it; --new-token
 * replaces it; `robot-control url` prints the panel URL again. The console keeps
 * start-up and lifecycle lines, not one line per command. Real server processes.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { callMethod, connectClient, tempDir, waitFor } from './helpers/broker.js';
import { cli } from './cli/run-cli.js';

const MAIN = new URL('../dist/server/main.js', import.meta.url).pathname;
const running: ResultPromise[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGKILL');
});

/** Start `npm start`'s process on the config in `dir`; resolve with its banner's URL and token once it is out. */
async function start(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const proc = execa('node', [MAIN, '--config', join(dir, 'config.yaml'), ...args], { cwd: dir, reject: false, env: { LOG_LEVEL: 'info', ...env }, extendEnv: false });
  running.push(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /broker listening/.test(out) || proc.exitCode !== null, 20_000, 'the banner');
  const m = /Control panel:\s+(http:\/\/\S+?)\?token=(\S+)/.exec(out);
  if (!m) throw new Error(`no banner:\n${out}`);
  return { proc, url: m[1]!, token: m[2]!, output: () => out };
}

async function stop(p: { proc: ResultPromise }): Promise<void> {
  p.proc.kill('SIGINT');
  await p.proc;
}

function setup(): string {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'websocket: { host: 127.0.0.1, port: 0 }',
      'worker: { storage_dir: ./store, standby: false }',
      `ipc: { command_socket: "ipc://${dir}/cmd.ipc", callback_socket: "ipc://${dir}/cb.ipc" }`,
      'log: { file: ./logs/app.log }',
      '',
    ].join('\n'),
  );
  return dir;
}

describe('the access token', { timeout: 90_000 }, () => {
  it('is made once, kept 0600 in the storage folder, reused after a restart, and replaced by --new-token', async () => {
    const dir = setup();
    const file = join(dir, 'store', '.token');
    const first = await start(dir);
    expect(first.output()).toMatch(/Token:\s+new, kept for the next starts/);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // The console: lifecycle lines, not a line per command (those stay in the log files).
    const c = await connectClient(first.url, { token: first.token });
    for (let i = 0; i < 3; i++) expect((await callMethod(c, 'sport_client', 'GetStatus')).status).toBe('success');
    expect((await callMethod(c, 'sport_client', 'Fly')).status).toBe('error');
    c.close();
    await waitFor(() => /client disconnected/.test(first.output()), 10_000, 'the disconnect line');
    await stop(first);
    expect(first.output()).not.toMatch(/process ok/);
    expect(first.output()).toMatch(/process failed/); // a failed command is a warning: it shows
    const logged = readFileSync(join(dir, 'logs', 'app.log'), 'utf8').split('\n').filter((l) => l.includes('"event":"command"'));
    expect(logged.filter((l) => l.includes('"outcome":"success"')).length).toBe(3);

    // The URL printed again, from the config and the stored token.
    const url = await cli(['url', '--config', join(dir, 'config.yaml')]);
    expect(url.exitCode, url.stderr).toBe(0);
    expect(url.stdout).toBe(`http://127.0.0.1:8000/?token=${first.token}`);

    const second = await start(dir);
    expect(second.token).toBe(first.token);
    expect(second.output()).toMatch(/Token:\s+kept from the last start/);
    await stop(second);

    const third = await start(dir, ['--new-token']);
    expect(third.token).not.toBe(first.token);
    expect(readFileSync(file, 'utf8').trim()).toBe(third.token);
    await stop(third);
  });

  it('ROBOT_CONTROL_TOKEN and auth.token still win, and nothing is stored for them', async () => {
    const dir = setup();
    const s = await start(dir, [], { ROBOT_CONTROL_TOKEN: 'from-env' });
    expect(s.token).toBe('from-env');
    expect(s.output()).toMatch(/Token:\s+from auth.token/);
    await stop(s);
    const url = await cli(['url', '--config', join(dir, 'config.yaml'), '--token-only']);
    expect(url.exitCode).toBe(1);
    expect(url.stderr).toMatch(/no token yet/);
  });
});
