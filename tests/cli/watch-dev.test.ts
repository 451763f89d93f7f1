/** The long-running commands against a real broker: watch, call --follow, dev. Every wait is bounded. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, waitFor, waitForFreeSlot, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { cli, spawnCli, type Running } from './run-cli.js';

/** Pushes `tick` on its own (a module-level timer), and `echo` when called. */
const TICKER = `
let n = 0;
setInterval(() => pushMessage('tick', { n: ++n }), 50);
exports.robot = {
  echo(text) { pushMessage('echo', { text }); return text; },
};
`;

let t: TestBroker;
let conn: { url: string; token: string };
const running: Running[] = [];

beforeAll(async () => {
  t = await startTestBroker();
  conn = { url: t.url, token: t.token };
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.proc.kill('SIGKILL');
    await r.proc;
  }
  // The broker frees the slot when it sees the disconnect.
  await waitForFreeSlot(t.url, t.token);
});
afterAll(async () => {
  await t?.close();
});

function spawn(args: string[]): Running {
  const r = spawnCli(args, conn);
  running.push(r);
  return r;
}

async function uploadTicker(): Promise<void> {
  const dir = tempDir();
  writeFileSync(join(dir, 'ticker.zip'), zipFiles({ 'main.js': TICKER }));
  const r = await cli(['upload', join(dir, 'ticker.zip')], conn);
  expect(r.exitCode, r.stderr).toBe(0);
}

const parse = (line: string) => JSON.parse(line) as { event: string; data: unknown; at: string; seq?: number };

describe('watch', () => {
  it('prints the named events as JSON lines and exits after --count', async () => {
    await uploadTicker();
    const r = await cli(['watch', 'tick', '--count', '3'], conn);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').map(parse);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.event).toBe('tick');
      expect(line.data).toMatchObject({ n: expect.any(Number) });
      expect(Number.isNaN(Date.parse(line.at))).toBe(false);
      expect(line.seq).toEqual(expect.any(Number));
    }
    const ns = lines.map((l) => (l.data as { n: number }).n);
    expect(ns[1]! - ns[0]!).toBe(1);
    expect(lines[1]!.seq! - lines[0]!.seq!).toBe(1);
  });

  it('keeps its place across a dropped connection: the broker replays what it missed, no seq lost or repeated', async () => {
    await uploadTicker();
    const w = spawn(['watch', 'tick']);
    await w.waitForLine((l) => parse(l).event === 'tick');
    for (const socket of t.broker.io.of('/').sockets.values()) socket.conn.close();
    await waitFor(() => /disconnected: .*\[transport close\]; reconnecting/.test(w.stderr()), 10_000, 'watch to see the drop');
    const mark = w.lines.length;
    await waitFor(() => w.stderr().split('robot-control: connected').length === 3, 15_000, 'watch to reconnect');
    await w.waitForLine((l) => parse(l).event === 'tick', 15_000, mark + 3);
    const ticks = w.lines.map(parse);
    const seqs = ticks.map((l) => l.seq!);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(ticks.map((l) => (l.data as { n: number }).n)).toEqual(ticks.map((l, i) => (ticks[0]!.data as { n: number }).n + i));
  });

  it('--rate EVENT=HZ subscribes: a rate the broker refuses exits 1 with its code', async () => {
    const r = await cli(['watch', '--rate', 'tick=5000', '--count', '1'], conn);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/robot-control: E_INVALID_PAYLOAD: subscribe: max_rate_hz must be/);
  });

  it('--count without names counts the robot\'s events: the broker\'s worker_status is printed, not counted', async () => {
    await uploadTicker();
    const r = await cli(['watch', '--count', '2'], conn);
    expect(r.exitCode, r.stderr).toBe(0);
    const events = r.stdout.split('\n').map(parse).map((l) => l.event);
    expect(events.filter((e) => e === 'tick')).toHaveLength(2);
    expect(events).toContain('worker_status');
  });

  it('without names prints every event, the broker\'s worker_status included, until SIGINT (exit 0)', async () => {
    await uploadTicker();
    const w = spawn(['watch']);
    await w.waitForLine((l) => parse(l).event === 'worker_status');
    await w.waitForLine((l) => parse(l).event === 'tick');
    w.proc.kill('SIGINT');
    const result = await w.proc;
    expect(result.exitCode, w.stderr()).toBe(0);
  });

  it('call --follow prints the return value as {result} among the events it asked for', async () => {
    await uploadTicker();
    const r = await cli(['call', 'robot', 'echo', '["hi"]', '--follow', '--event', 'echo', '--event', 'tick', '--count', '2'], conn);
    expect(r.exitCode, r.stderr).toBe(0);
    // The answer and the events, in arrival order: the robot pushed `echo` before it returned.
    const lines = r.stdout.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => 'result' in l)).toEqual([{ result: 'hi' }]);
    const events = lines.filter((l) => 'event' in l);
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.event === 'echo' || e.event === 'tick')).toBe(true);
  });
});

describe('dev', () => {
  const version = (v: number, method = 'hello') => `
exports.robot = { ${method}() { return ${v}; } };
setInterval(() => pushMessage('version', { v: ${v} }), 50);
`;

  it('uploads at start and again after every save (atomic or in place), reporting load errors and going on', async () => {
    const dir = tempDir('rc-dev-');
    writeFileSync(join(dir, 'main.js'), version(1));
    const d = spawn(['dev', dir, '--events', '--debounce', '50']);
    await d.waitForLine((l) => /^upload #1 ok: javascript main\.js, 1 files, \d+ bytes in \d+ ms; objects: robot\[hello\]$/.test(l));
    await d.waitForLine((l) => l.startsWith('{') && (parse(l).data as { v?: number }).v === 1);

    // An editor's atomic save: write a temporary file, rename it over main.js.
    let mark = d.lines.length;
    writeFileSync(join(dir, '.main.js.tmp'), version(2, 'hello2'));
    renameSync(join(dir, '.main.js.tmp'), join(dir, 'main.js'));
    await d.waitForLine((l) => /^upload #\d+ ok: .*objects: robot\[hello2\]$/.test(l), 15_000, mark);
    await d.waitForLine((l) => l.startsWith('{') && (parse(l).data as { v?: number }).v === 2, 15_000, mark);

    // A syntax error: refused with its code and line; the previous project keeps running.
    mark = d.lines.length;
    writeFileSync(join(dir, 'main.js'), 'exports.robot = { broken( { } };\n');
    const error = await d.waitForLine((l) => /^upload #\d+ error: /.test(l), 15_000, mark);
    expect(error).toMatch(/E_PROJECT_LOAD: .*"file":"main\.js","line":1/);

    // Saved in place (after the atomic save above, which a per-file watch would miss).
    mark = d.lines.length;
    writeFileSync(join(dir, 'main.js'), version(3, 'hello3'));
    await d.waitForLine((l) => /^upload #\d+ ok: .*objects: robot\[hello3\]$/.test(l), 15_000, mark);
    await d.waitForLine((l) => l.startsWith('{') && (parse(l).data as { v?: number }).v === 3, 15_000, mark);

    d.proc.kill('SIGINT');
    expect((await d.proc).exitCode, d.stderr()).toBe(0);
  }, 90_000); // four uploads, each restarting the worker

  it('watches folders made after it started', async () => {
    const dir = tempDir('rc-dev-');
    writeFileSync(join(dir, 'main.js'), version(1));
    const d = spawn(['dev', dir, '--debounce', '50']);
    await d.waitForLine((l) => l.startsWith('upload #1 ok'));
    let mark = d.lines.length;
    mkdirSync(join(dir, 'lib', 'deep'), { recursive: true });
    await d.waitForLine((l) => /^upload #\d+ ok: javascript main\.js, 1 files/.test(l), 15_000, mark);
    // Only a watch on the new folder sees these.
    mark = d.lines.length;
    writeFileSync(join(dir, 'lib', 'deep', 'helper.js'), 'module.exports = 1;\n');
    await d.waitForLine((l) => /^upload #\d+ ok: javascript main\.js, 2 files, 121 bytes/.test(l), 15_000, mark);
    mark = d.lines.length;
    writeFileSync(join(dir, 'lib', 'deep', 'helper.js'), 'module.exports = 22;\n');
    await d.waitForLine((l) => /^upload #\d+ ok: javascript main\.js, 2 files, 122 bytes/.test(l), 15_000, mark);
  }, 60_000);

  it('keeps going after the broker drops its connection', async () => {
    const dir = tempDir('rc-dev-');
    writeFileSync(join(dir, 'main.js'), version(1));
    const d = spawn(['dev', dir, '--debounce', '50']);
    await d.waitForLine((l) => l.startsWith('upload #1 ok'));
    for (const socket of t.broker.io.of('/').sockets.values()) socket.conn.close();
    await waitFor(() => /disconnected: the connection closed .*\[transport close\]; reconnecting/.test(d.stderr()), 10_000, 'dev to see the drop');
    const mark = d.lines.length;
    writeFileSync(join(dir, 'main.js'), version(2, 'after_drop'));
    await d.waitForLine((l) => /^upload #\d+ ok: .*objects: robot\[after_drop\]$/.test(l), 15_000, mark);
  });

  it('refuses a folder without an entry module before connecting (exit 1, E_NO_ENTRY)', async () => {
    const r = await cli(['dev', tempDir()], conn);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/E_NO_ENTRY/);
  });
});
