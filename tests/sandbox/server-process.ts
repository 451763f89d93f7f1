/**
 * The broker as `npm start` runs it (node dist/server/main.js --config FILE), for the
 * tests that need a real server process: one to kill -9, one whose /proc entries and
 * config file robot code goes looking for.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { tempDir, waitFor } from '../helpers/broker.js';

const MAIN = new URL('../../dist/server/main.js', import.meta.url).pathname;

export interface ServerProcess {
  proc: ResultPromise;
  pid: number;
  dir: string;
  configFile: string;
  url: string;
  token: string;
  output: () => string;
  endpoints: { command: string; callback: string };
}

/** Start it with `worker` settings (YAML lines under `worker:`) and extra environment; resolve once its banner is out. */
export async function startServerProcess(worker: Record<string, string | number | boolean>, env: Record<string, string> = {}): Promise<ServerProcess> {
  const dir = tempDir('rc-sandbox-');
  mkdirSync(join(dir, 'sock'));
  const configFile = join(dir, 'config.yaml');
  const yaml = [
    'websocket:',
    '  host: "127.0.0.1"',
    '  port: 0',
    'worker:',
    '  storage_dir: "./store"',
    '  heartbeat_interval: 0.25',
    ...Object.entries(worker).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    'ipc:',
    '  command_socket: "ipc://./sock/cmd.ipc"',
    '  callback_socket: "ipc://./sock/cb.ipc"',
    'log:',
    '  file: "./logs/app.log"',
    '  console: false',
  ].join('\n');
  writeFileSync(configFile, `${yaml}\n`);
  const proc = execa('node', [MAIN, '--config', configFile], { cwd: dir, reject: false, env: { LOG_LEVEL: 'info', ...env } });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /Control panel:\s+\S+token=\w+/.test(out) || proc.exitCode !== null, 20_000, 'the banner');
  const m = /Control panel:\s+(http:\/\/\S+?)\?token=(\w+)/.exec(out);
  if (!m) throw new Error(`no banner:\n${out}`);
  return {
    proc,
    pid: proc.pid!,
    dir,
    configFile,
    url: m[1]!,
    token: m[2]!,
    output: () => out,
    endpoints: { command: `ipc://${join(dir, 'sock', 'cmd.ipc')}`, callback: `ipc://${join(dir, 'sock', 'cb.ipc')}` },
  };
}
