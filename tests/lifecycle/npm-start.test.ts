/**
 * The broker as a newcomer runs it: `node dist/server/main.js` (what `npm start`
 * runs), its banner, its config handling, and how it stops: SIGINT/SIGTERM leave
 * no worker and no ipc file behind; a SIGKILLed server takes its worker with it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { callMethod, connectClient, startTestBroker, tempDir, waitFor } from '../helpers/broker.js';

const MAIN = new URL('../../dist/server/main.js', import.meta.url).pathname;
const running: ResultPromise[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGKILL');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Started {
  proc: ResultPromise;
  url: string;
  token: string;
  workerPid: number;
  output: () => string;
}

/** Start the real server process with a config file in a temp folder; resolve once its banner is out. */
async function startServer(dir: string, yaml: string): Promise<Started> {
  writeFileSync(join(dir, 'config.yaml'), yaml);
  const proc = execa('node', [MAIN, '--config', join(dir, 'config.yaml')], { cwd: tempDir(), reject: false, env: { LOG_LEVEL: 'info' } });
  running.push(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /Control panel:\s+\S+token=\w+/.test(out) || proc.exitCode !== null, 20_000, 'the banner');
  const m = /Control panel:\s+(http:\/\/\S+?)\?token=(\w+)/.exec(out);
  const w = /Worker:\s+ready \(pid (\d+)\)/.exec(out);
  if (!m || !w) throw new Error(`no banner:\n${out}`);
  return { proc, url: m[1]!, token: m[2]!, workerPid: Number(w[1]), output: () => out };
}

function configYaml(dir: string, port = 0, extra = ''): string {
  return [
    'websocket:',
    '  host: "127.0.0.1"',
    `  port: ${port}`,
    'worker:',
    '  storage_dir: "./store"',
    'ipc:',
    '  command_socket: "ipc://./sock/cmd.ipc"',
    '  callback_socket: "ipc://./sock/cb.ipc"',
    'log:',
    '  file: "./logs/app.log"',
    extra,
  ].join('\n');
}

describe('npm start', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('prints the URL with a generated token, serves, and stops cleanly on %s', async (signal) => {
    const dir = tempDir();
    const s = await startServer(dir, configYaml(dir));
    expect(s.token).toMatch(/^[0-9a-f]{48}$/);
    // Relative paths resolved against the config file's folder, not the cwd.
    expect(existsSync(join(dir, 'store', 'default', 'main.js'))).toBe(true);
    expect(existsSync(join(dir, 'sock', 'cmd.ipc'))).toBe(true);
    const c = await connectClient(s.url, { token: s.token });
    expect((await callMethod(c, 'sport_client', 'StandUp')).status).toBe('success');
    c.close();
    const started = Date.now();
    s.proc.kill(signal);
    const result = await s.proc;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.exitCode).toBe(0);
    expect(alive(s.workerPid)).toBe(false);
    expect(existsSync(join(dir, 'sock', 'cmd.ipc'))).toBe(false);
    expect(existsSync(join(dir, 'sock', 'cb.ipc'))).toBe(false);
    // The token is in the banner, never in the log.
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(join(dir, 'logs', 'app.log'), 'utf8');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(s.token);
  });

  it('a SIGKILLed server takes its worker with it; stale ipc files do not block the next start', async () => {
    const dir = tempDir();
    const s = await startServer(dir, configYaml(dir));
    s.proc.kill('SIGKILL');
    await s.proc;
    await waitFor(() => !alive(s.workerPid), 5000, 'the orphaned worker to exit');
    expect(existsSync(join(dir, 'sock', 'cmd.ipc'))).toBe(true); // left behind by the kill
    const again = await startServer(dir, configYaml(dir));
    const c = await connectClient(again.url, { token: again.token });
    expect((await callMethod(c, 'sport_client', 'GetStatus')).status).toBe('success');
    c.close();
    again.proc.kill('SIGTERM');
    await again.proc;
  });

  it.each([
    ['websocket:\n  port: 70000\n', 'websocket.port'],
    ['websocket:\n  prot: 8000\n', 'websocket.prot'],
    ['worker:\n  max_execution_time: "slow"\n', 'worker.max_execution_time'],
    ['surprise: 1\n', 'surprise'],
    ['ipc:\n  command_socket: "http://x"\n', 'ipc.command_socket'],
  ])('a bad config stops start-up with one line naming the key (%#)', async (yaml, key) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.yaml'), yaml);
    const r = await execa('node', [MAIN, '--config', join(dir, 'config.yaml')], { reject: false });
    expect(r.exitCode).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(key);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses to steal the ipc endpoints of a broker that is running', async () => {
    const t = await startTestBroker();
    try {
      const dir = tempDir();
      mkdirSync(join(dir, 'store'));
      const yaml = configYaml(dir).replace('ipc://./sock/cmd.ipc', t.config.ipc.command_socket).replace('ipc://./sock/cb.ipc', t.config.ipc.callback_socket);
      writeFileSync(join(dir, 'config.yaml'), yaml);
      const r = await execa('node', [MAIN, '--config', join(dir, 'config.yaml')], { reject: false, timeout: 20_000 });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('in use');
      const c = await t.connect();
      expect((await callMethod(c, 'sport_client', 'GetStatus')).status).toBe('success');
    } finally {
      await t.close();
    }
  });
});
