/** The compiled CLI against a real broker: usage, pack, upload, start, call and their exit codes. */
import AdmZip from 'adm-zip';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { cli, closedPort } from './run-cli.js';

const ROBOT = `
exports.robot = {
  add(a, b) { return a + b; },
  whole(opts) { return { got: opts }; },
  nothing() {},
  fail() { throw new Error('robot says no'); },
};
`;

let t: TestBroker;
let conn: { url: string; token: string };
beforeAll(async () => {
  t = await startTestBroker();
  conn = { url: t.url, token: t.token };
});
afterAll(async () => {
  await t?.close();
});

function project(files: Record<string, string>): string {
  const dir = tempDir('rc-cli-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('usage (exit 2)', () => {
  it('prints help and exits 0 for --help, help and COMMAND --help', async () => {
    for (const args of [['--help'], [], ['help', 'call'], ['call', '--help']]) {
      const r = await cli(args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/Usage: robot-control/);
    }
  });

  it('exits 2 for unknown commands and options, missing arguments, bad ARGS-JSON, no token', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frob'], /unknown command "frob"/],
      [['call', 'robot'], /call takes OBJECT METHOD/],
      [['call', 'robot', 'add', '--bogus'], /Unknown option '--bogus'/],
      [['call', 'robot', 'add', '{nope'], /ARGS-JSON is not JSON/],
      [['call', 'robot', 'add', '5'], /must be a JSON array or object.*\[5\]/],
      [['call', 'robot', 'add', '--count', '2'], /--count and --event need --follow/],
      [['call', 'robot', 'add', '--timeout', 'soon'], /--timeout: expected a number of seconds/],
      [['pack'], /pack takes one folder/],
      [['watch', '--count', '0'], /--count: expected a positive whole number/],
      [['watch', '--rate', 'odometry'], /--rate: expected EVENT=HZ/],
      [['upload', 'x.zip', '--url', 'ftp://x'], /--url: expected http/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, conn);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const noToken = await cli(['call', 'robot', 'add'], { url: t.url });
    expect(noToken.exitCode).toBe(2);
    expect(noToken.stderr).toMatch(/no token: pass --token TOKEN or set ROBOT_CONTROL_TOKEN/);
  }, 90_000); // twelve CLI runs on a loaded 2-core machine
});

describe('pack', () => {
  it('zips the folder contents at the root, skipping node_modules, .git and __pycache__', async () => {
    const dir = project({
      'main.py': 'push_message = None\n',
      'lib/util.py': 'X = 1\n',
      'node_modules/x/index.js': '',
      '.git/HEAD': '',
      '__pycache__/main.cpython-311.pyc': '',
    });
    const out = join(tempDir(), 'robot.zip');
    const r = await cli(['pack', dir, '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/packed .*robot\.zip: 2 files, entry main\.py/);
    expect(new AdmZip(readFileSync(out)).getEntries().map((e) => e.entryName).sort()).toEqual(['lib/util.py', 'main.py']);
  });

  it('writes ./<folder>.zip by default, never packing its own output', async () => {
    const dir = project({ 'robot/main.js': ROBOT });
    const r = await cli(['pack', 'robot'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(new AdmZip(readFileSync(join(dir, 'robot.zip'))).getEntries().map((e) => e.entryName)).toEqual(['main.js']);
    // Packing the folder again from inside it leaves the previous ZIP out.
    const again = await cli(['pack', '.', '-o', 'robot.zip'], { cwd: join(dir, 'robot') });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(new AdmZip(readFileSync(join(dir, 'robot', 'robot.zip'))).getEntries().map((e) => e.entryName)).toEqual(['main.js']);
  });

  it('refuses a folder without an entry module (exit 1, E_NO_ENTRY) and writes nothing', async () => {
    const dir = project({ 'src/main.js': '', 'index.js': '' });
    const out = join(tempDir(), 'nothing.zip');
    const r = await cli(['pack', dir, '-o', out]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/E_NO_ENTRY: .*main\.js, main\.mjs, main\.cjs, main\.ts, main\.py/);
    expect(existsSync(out)).toBe(false);
    const missing = await cli(['pack', join(dir, 'nope')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/E_NOT_FOUND/);
  });
});

describe('upload, start, call', () => {
  it('uploads a ZIP file and a folder, then calls methods', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'robot.zip'), zipFiles({ 'main.js': ROBOT }));
    const fromZip = await cli(['upload', join(dir, 'robot.zip')], conn);
    expect(fromZip.exitCode, fromZip.stderr).toBe(0);
    expect(JSON.parse(fromZip.stdout)).toMatchObject({ type: 'javascript', entry: 'main.js', files: 1 });

    const folder = project({ 'main.js': ROBOT, 'extra.txt': 'x' });
    const fromDir = await cli(['upload', folder], conn);
    expect(fromDir.exitCode, fromDir.stderr).toBe(0);
    expect(JSON.parse(fromDir.stdout)).toMatchObject({ entry: 'main.js', files: 2 });

    const started = await cli(['start'], conn);
    expect(started.exitCode, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout).objects.robot.sort()).toEqual(['add', 'fail', 'nothing', 'whole']);

    const add = await cli(['call', 'robot', 'add', '[2, 3]'], conn);
    expect(add.exitCode, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toBe(5);
    const whole = await cli(['call', 'robot', 'whole', '{"x": 1}'], conn);
    expect(JSON.parse(whole.stdout)).toEqual({ got: { x: 1 } });
    const nothing = await cli(['call', 'robot', 'nothing'], conn);
    expect(nothing.exitCode, nothing.stderr).toBe(0);
    expect(nothing.stdout).toBe('null');
  }, 60_000);

  it('broker errors exit 1 with the code and message on stderr', async () => {
    await cli(['upload', project({ 'main.js': ROBOT })], conn);
    const unknown = await cli(['call', 'nobody', 'x'], conn);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^robot-control: E_UNKNOWN_OBJECT: /m);
    const failed = await cli(['call', 'robot', 'fail'], conn);
    expect(failed.exitCode).toBe(1);
    // file:line by default, then the robot's own frames only: no broker frames, no absolute paths.
    const line = ROBOT.split('\n').findIndex((l) => l.includes('robot says no')) + 1;
    expect(failed.stderr).toMatch(new RegExp(`^robot-control: E_METHOD_FAILED: robot says no \\(main\\.js:${line}:\\d+\\)$`, 'm'));
    expect(failed.stderr).toMatch(new RegExp(`^    at Object\\.fail \\(main\\.js:${line}:\\d+\\)$`, 'm'));
    expect(failed.stderr).not.toMatch(/\bstack\b|\/|dist|node:/);
    const badZip = await cli(['upload', join(project({ 'not.zip': 'hello' }), 'not.zip')], conn);
    expect(badZip.exitCode).toBe(1);
    expect(badZip.stderr).toMatch(/E_INVALID_ZIP/);
    const badToken = await cli(['call', 'robot', 'add', '[1,1]'], { ...conn, token: 'wrong' });
    expect(badToken.exitCode).toBe(1);
    expect(badToken.stderr).toMatch(/E_UNAUTHORIZED/);
  });

  it('--token and --url override the environment', async () => {
    const r = await cli(['call', 'robot', 'add', '[1, 2]', '--token', t.token, '--url', t.url], { url: 'http://127.0.0.1:9', token: 'wrong' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('3');
  });

  it('waits while busy, and gives up after --wait with E_BUSY (exit 1)', async () => {
    const holder = await connectClient(t.url, { token: t.token, clientId: 'someone-else' });
    try {
      const r = await cli(['call', 'robot', 'add', '[1, 1]', '--wait', '0.5'], conn);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/busy: "someone-else" holds the robot; waiting/);
      expect(r.stderr).toMatch(/E_BUSY/);
    } finally {
      holder.close();
    }
    // Once the slot frees up, the same command goes through (retrying while busy).
    const r = await cli(['call', 'robot', 'add', '[1, 1]'], conn);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it('an unreachable broker exits 1 with E_UNREACHABLE after --wait', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli(['call', 'robot', 'add', '--wait', '0.5'], { url, token: 'x' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`E_UNREACHABLE: cannot reach ${url}: nothing answers there`);
    expect(r.stderr).not.toMatch(/^[^[]*(websocket|xhr poll) error/m); // the transport's words only in brackets
  });
});
