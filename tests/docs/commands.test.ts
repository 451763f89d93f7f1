/**
 * Every command the README and docs/ show, run as written against a test broker, so a
 * doc edit that breaks a command breaks this test (the convention for what runs:
 * tests/docs/fences.ts and docs/CLI.md, "The docs are tested").
 *
 * The work folder is what a reader has: the projects the docs define (`file=` fences:
 * my_robot/ and the others), `examples/` and `storage/projects/default` from this
 * repository, a `config.yaml` for the test broker, a `package.json` with
 * "type": "module" and robot-control installed, and `robot-control` (what `npx
 * robot-control` runs) on the PATH. ROBOT_CONTROL_URL points at the test broker.
 * Before each fence the broker is put back on the default robot, as after `npm start`.
 *
 * bash fences: one command per line, each from the work folder, what an `export` line
 * sets carried into the next ones; a line whose comment says "Ctrl-C" runs until its first line of
 * output, then gets SIGINT and must exit 0. js/ts fences run with tsx, python fences
 * with /usr/bin/python3; each must exit 0.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connectClient, startTestBroker, tempDir, waitFor, waitForFreeSlot, type TestBroker } from '../helpers/broker.js';
import { packProject } from '../../dist/client/index.js';
import { zipDir } from '../helpers/zip.js';
import { docFiles, fencesOf, ROOT, runnable, type Fence } from './fences.js';

const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const PYTHON = process.env.ROBOT_CONTROL_TEST_PYTHON ?? '/usr/bin/python3';

const fences = docFiles().flatMap(fencesOf);
let t: TestBroker;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  // heartbeat_timeout: the production 10 s. Loading tsx stalls a worker's event loop while Node 20
  // starts its hooks thread (~0.5 s; seconds on a loaded 2-core machine): the TypeScript projects.
  t = await startTestBroker({ worker: { heartbeat_timeout: 10 } });
  work = tempDir('rc-docs-');
  const bin = join(work, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'robot-control'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'robot-control'), 0o755);
  writeFileSync(join(work, 'package.json'), '{ "name": "docs-reader", "private": true, "type": "module" }\n');
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(ROOT, join(work, 'node_modules', 'robot-control'));
  symlinkSync(join(ROOT, 'node_modules', 'socket.io-client'), join(work, 'node_modules', 'socket.io-client'));
  symlinkSync(join(ROOT, 'examples'), join(work, 'examples'));
  mkdirSync(join(work, 'storage', 'projects'), { recursive: true });
  symlinkSync(join(ROOT, 'storage', 'projects', 'default'), join(work, 'storage', 'projects', 'default'));
  const c = t.config;
  writeFileSync(
    join(work, 'config.yaml'),
    [
      `websocket: { host: 127.0.0.1, port: ${t.broker.port} }`,
      `worker: { storage_dir: "${c.worker.storage_dir}" }`,
      `ipc: { command_socket: "${c.ipc.command_socket}", callback_socket: "${c.ipc.callback_socket}" }`,
      `auth: { token: "${t.token}" }`,
      `log: { file: "${join(work, 'logs', 'app.log')}" }`,
      '',
    ].join('\n'),
  );
  for (const f of fences) {
    if (!f.file) continue;
    mkdirSync(dirname(join(work, f.file)), { recursive: true });
    writeFileSync(join(work, f.file), f.body);
  }
  env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: process.env.HOME ?? '/tmp', ROBOT_CONTROL_URL: t.url };
});
afterAll(async () => {
  await t?.close();
});

/** Back to the default robot, and the client slot free. */
async function resetBroker(): Promise<void> {
  await waitForFreeSlot(t.url, t.token);
  const c = await connectClient(t.url, { token: t.token });
  try {
    const r = await call(c, 'update', { data: zipDir(join(ROOT, 'storage', 'projects', 'default')) });
    expect(r.status, `putting the default robot back: ${JSON.stringify(r)}`).toBe('success');
  } finally {
    c.close();
  }
  await waitForFreeSlot(t.url, t.token);
}

/** The commands of a bash fence: one per line, `npx robot-control` as the installed command. */
function commands(body: string): string[] {
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/\bnpx robot-control\b/g, 'robot-control'));
}

/**
 * `bash -e -c script` in the work folder. Its stdin is /dev/null, not the socket Node would
 * give it: bash run with a socket on stdin takes itself for an ssh session and sources
 * ~/.bashrc (here: pyenv's init, 0.5 s a line, and a PATH of its own).
 */
function bash(script: string, fenceEnv: Record<string, string>, timeout: number) {
  return execa('bash', ['-e', '-c', script], { cwd: work, env: fenceEnv, extendEnv: false, reject: false, stdin: 'ignore', timeout });
}

async function runBash(f: Fence): Promise<void> {
  // `export` lines run once; what they set is in the environment of the fence's later lines.
  const fenceEnv = { ...env };
  for (const line of commands(f.body)) {
    const exported = /^export\s+([A-Za-z_]\w*)=/.exec(line)?.[1];
    if (exported) {
      const r = await bash(`${line}\nprintf %s "$${exported}"`, fenceEnv, 30_000);
      expect(r.exitCode, `${f.where}: ${line}\n${r.stderr}`).toBe(0);
      fenceEnv[exported] = r.stdout;
      continue;
    }
    if (/#.*Ctrl-C/i.test(line)) {
      // A long-running command: it must start and say so, then stop cleanly on Ctrl-C.
      const p = bash(`exec ${line}`, fenceEnv, 60_000);
      let out = '';
      p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('\n') || p.exitCode !== null, 30_000, `${f.where}: first output of ${line}`);
      expect(p.exitCode, `${f.where}: ${line} stopped by itself\n${out}`).toBeNull();
      expect(out, `${f.where}: ${line}`).not.toMatch(/ error[: ]/);
      p.kill('SIGINT');
      const r = await p;
      expect(r.exitCode, `${f.where}: ${line} after Ctrl-C\n${r.stderr}`).toBe(0);
      continue;
    }
    const r = await bash(line, fenceEnv, 60_000);
    expect(r.exitCode, `${f.where}: ${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
  }
}

async function runProgram(f: Fence, index: number): Promise<void> {
  const ext = f.lang === 'python' ? 'py' : f.lang;
  const file = join(work, `fence-${index}.${ext}`);
  writeFileSync(file, f.body);
  const [cmd, args] = f.lang === 'python' ? [PYTHON, [file]] : [process.execPath, [TSX, file]];
  const r = await execa(cmd, args, { cwd: work, env: { ...env, ROBOT_CONTROL_TOKEN: t.token }, extendEnv: false, reject: false, timeout: 60_000 });
  expect(r.exitCode, `${f.where}\n${r.stdout}\n${r.stderr}`).toBe(0);
}

// Real processes on a shared 2-core machine: each fence gets room beyond the suite's 30 s.
describe('the commands in the README and docs/, as written', { timeout: 120_000 }, () => {
  it('finds the fences: every runnable one is run, the rest are marked', () => {
    expect(runnable(fences).length).toBeGreaterThanOrEqual(8);
    expect(fences.filter((f) => f.file).map((f) => f.file)).toEqual(expect.arrayContaining(['my_robot/main.js']));
  });

  // A fence that may have uploaded something else leaves the broker to be put back.
  let changed = false;
  it.each(runnable(fences).map((f, i) => [f.where, f, i] as const))('%s', async (_where, f, i) => {
    if (changed) await resetBroker();
    else await waitForFreeSlot(t.url, t.token);
    changed = /\b(upload|update|dev)\b|--project/.test(f.body);
    if (f.lang === 'bash' || f.lang === 'sh') await runBash(f);
    else await runProgram(f, i);
  });

  it('every project the docs define loads', async () => {
    const projects = [...new Set(fences.filter((f) => f.file).map((f) => f.file!.split('/')[0]!))];
    await waitForFreeSlot(t.url, t.token);
    const c = await connectClient(t.url, { token: t.token });
    try {
      for (const dir of projects) {
        const u = await call(c, 'update', { data: packProject(join(work, dir)).zip });
        expect(u.status, `${dir}: ${JSON.stringify(u)}`).toBe('success');
        const s = await call<{ objects: Record<string, string[]> }>(c, 'start', {});
        expect(s.status, `${dir}: ${JSON.stringify(s)}`).toBe('success');
        expect(Object.keys((s.data as { objects: object }).objects).length, dir).toBeGreaterThan(0);
      }
    } finally {
      c.close();
    }
  });
});
