/**
 * The real server process, as a newcomer or a harness runs it (`npm start`, or
 * `node dist/server/main.js`), started `detached` so that it leads a fresh process
 * group: tests can signal the whole group and check /proc that every member is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from '../helpers/broker.js';
import { brokerProcesses } from './support.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/server/main.js');

export interface ServerProcess {
  child: ChildProcess;
  /** The process group it leads (its pid). */
  pgid: number;
  /** Its live processes: the server's group and the workers (groups of their own), watched from the start. */
  processes(): ReturnType<typeof brokerProcesses>;
  dir: string;
  url: string;
  token: string;
  output(): string;
  /** Stop reading its stdout and stderr, as a harness that lost interest (the pipes fill up). */
  stopReading(): void;
  /** Resolves when the process we spawned has exited. */
  exited: Promise<void>;
}

const started: ServerProcess[] = [];

/** SIGKILL every group a test left behind (call from afterEach). */
export function killLeftovers(): void {
  for (const s of started.splice(0)) {
    for (const p of [{ pid: s.pgid }, ...s.processes()]) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // gone, or not a group leader
      }
    }
  }
}

export function configYaml(extra = ''): string {
  return [
    'websocket:',
    '  host: "127.0.0.1"',
    '  port: 0',
    'worker:',
    '  storage_dir: "./store"',
    '  heartbeat_interval: 0.25',
    'ipc:',
    '  command_socket: "ipc://./sock/cmd.ipc"',
    '  callback_socket: "ipc://./sock/cb.ipc"',
    'auth:',
    '  token: "test-token"',
    'log:',
    '  file: "./logs/app.log"',
    '  level: "debug"',
    extra,
  ].join('\n');
}

export interface StartOptions {
  via?: 'npm' | 'node';
  /** Reuse this folder (its store/ survives from an earlier server). */
  dir?: string;
  /** Extra YAML lines (a `worker:` block replaces nothing: keys must not repeat). */
  yaml?: string;
  env?: Record<string, string>;
  /** Resolve at once, without waiting for the banner. */
  noWait?: boolean;
}

export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  const dir = options.dir ?? tempDir('rc-proc-');
  mkdirSync(join(dir, 'sock'), { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), options.yaml ?? configYaml());
  const config = join(dir, 'config.yaml');
  const [cmd, args] = options.via === 'npm' ? ['npm', ['start', '--silent', '--', '--config', config]] : [process.execPath, [MAIN, '--config', config]];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'debug', ...options.env },
  });
  let out = '';
  const onData = (d: Buffer) => (out += d.toString());
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Every pid the broker ever had, so that a worker orphaned by the server's death is still counted.
  const seen = new Map<number, number>();
  const watch = setInterval(() => brokerProcesses(child.pid!, seen), 100);
  watch.unref();
  const s: ServerProcess = {
    child,
    pgid: child.pid!,
    processes: () => brokerProcesses(child.pid!, seen),
    dir,
    url: '',
    token: 'test-token',
    output: () => out,
    stopReading: () => {
      child.stdout!.off('data', onData).pause();
      child.stderr!.off('data', onData).pause();
    },
    exited,
  };
  started.push(s);
  if (options.noWait) return s;
  await waitFor(() => /Control panel:\s+\S+token=/.test(out) || child.exitCode !== null, 30_000, 'the banner');
  const m = /Control panel:\s+(http:\/\/\S+?)\/?\?token=/.exec(out);
  if (!m) throw new Error(`no banner:\n${out}`);
  s.url = m[1]!;
  return s;
}

/** Every process of the broker (server group and workers) is gone within `ms`: resolves with how long it took. */
export async function allGone(s: ServerProcess, sentAt: number, ms = 5000): Promise<number> {
  try {
    await waitFor(() => s.processes().length === 0, ms + 3000, `every process of the broker in group ${s.pgid} to exit`);
  } catch (err) {
    const left = s.processes().map((p) => `${p.pid} (${p.state}, group ${p.pgid}) ${p.cmdline.slice(0, 120)}`);
    throw new Error(`${(err as Error).message}; still running:\n${left.join('\n')}\n${s.output().slice(-2000)}`);
  }
  return Date.now() - sentAt;
}
