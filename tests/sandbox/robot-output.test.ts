/**
 * Robot output is framed: what robot code (and what it starts) writes to stdout and
 * stderr is robot output, in the log as `src: "robot"` and on the wire as `robot_log`
 * to the controlling client and /monitor, never parsed, secrets redacted, bounded by
 * a rate limit that never slows the robot. Run sandboxed (the default here), Python too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RobotLogLine } from '../../dist/ipc/protocol.js';
import { call, callMethod, collect, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { connectMonitor, type Monitor, type Seen } from '../observability/helpers.js';
import { killAll, withMarker } from '../helpers/procs.js';

const JS = zipFiles({
  'main.js': `
const cp = require('child_process');
exports.out = {
  say(text) { console.log(text); console.error('err: ' + text); process.stdout.write('raw: ' + text + '\\n'); return 1; },
  child(text) { cp.execFileSync('sh', ['-c', 'echo "child: $0"', text], { stdio: 'inherit' }); return 1; },
  flood(n) { for (let i = 0; i < n; i++) console.log('flood ' + i); return n; },
  long(n) { process.stdout.write('x'.repeat(n) + '\\n'); return n; },
  secret(token) { console.log('my token: ' + token); console.log(JSON.stringify({ token })); return 1; },
};
`,
});

const PY = zipFiles({
  'main.py': `
import subprocess
import sys

print("python module loaded", flush=True)

class Out:
    def say(self, text):
        print("py: " + text)
        print("py err: " + text, file=sys.stderr)
        return 1

    def linger(self, marker):
        subprocess.Popen(["sleep", "1000." + marker])
        return 1

out = Out()
`,
});

let t: TestBroker;
let c: Client;
let lines: RobotLogLine[];
let monitor: Monitor;
let seen: Seen;
beforeAll(async () => {
  t = await startTestBroker();
  c = await t.connect();
  lines = collect<RobotLogLine>(c, 'robot_log');
  ({ monitor, seen } = await connectMonitor(t.url, t.token));
  expect((await call(c, 'update', { data: JS })).status).toBe('success');
});
afterAll(async () => {
  monitor?.close();
  await t?.close();
});

const texts = () => lines.map((l) => l.line);
/** Lines in the print loop: past the burst (500), small enough that writing them never blocks the worker past its heartbeat on a loaded machine. */
const FLOOD = 5000;

describe('robot output', () => {
  it('reaches the client and /monitor as robot_log, and the log as src "robot", from console, stdout and a child', async () => {
    expect(t.broker.sandbox.mode).toBe('bwrap');
    await callMethod(c, 'out', 'say', ['hello']);
    await callMethod(c, 'out', 'child', ['hi']);
    await waitFor(() => ['hello', 'err: hello', 'raw: hello', 'child: hi'].every((x) => texts().includes(x)), 10_000, 'the lines');
    const hello = lines.find((l) => l.line === 'hello')!;
    expect(hello).toEqual({ stream: 'stdout', line: 'hello', ts: expect.any(Number), generation: t.broker.supervisor.currentGeneration });
    expect(lines.find((l) => l.line === 'err: hello')!.stream).toBe('stderr');
    await waitFor(() => seen.some((e) => e.event === 'robot_log' && e.data.line === 'child: hi'), 10_000, 'the monitor to see it');
    await waitFor(() => t.logLines().some((l) => l.src === 'robot' && l.msg === 'child: hi' && l.gen === hello.generation), 10_000, 'the log line');
  });

  it('redacts the token wherever robot code prints it', async () => {
    await callMethod(c, 'out', 'secret', [t.token]);
    await waitFor(() => texts().includes('my token: [redacted]'), 10_000, 'the redacted line');
    expect(texts()).toContain('{"token":"[redacted]"}');
    await waitFor(() => t.logLines().some((l) => l.msg === 'my token: [redacted]'), 10_000, 'the log line');
    expect(JSON.stringify(t.logLines())).not.toContain(t.token);
    expect(JSON.stringify(lines)).not.toContain(t.token);
  });

  it('rate-limits a print loop without slowing it, and says how many lines it dropped', async () => {
    const before = lines.length;
    const startedAt = Date.now();
    const ack = await callMethod(c, 'out', 'flood', [FLOOD], 30_000);
    expect(ack.data).toBe(FLOOD);
    const got = () => lines.slice(before);
    const delivered = () => got().filter((l) => l.line.startsWith('flood ')).length;
    const dropped = () => got().reduce((n, l) => n + Number(/^\[robot-control\] (\d+) lines? of robot output dropped/.exec(l.line)?.[1] ?? 0), 0);
    // Every line is either shown or counted in a report.
    await waitFor(() => delivered() + dropped() === FLOOD, 10_000, `every line shown or counted (${delivered()} + ${dropped()})`);
    expect(delivered()).toBeLessThan(FLOOD);
    expect(dropped()).toBeGreaterThan(0);
    expect(Date.now() - startedAt).toBeLessThan(20_000); // the robot was never blocked on the rate limit
    await waitFor(async () => (await callMethod(c, 'out', 'say', ['after the flood'])).status === 'success' && texts().includes('after the flood'), 10_000, 'output to flow again');
  });

  it('cuts a line with no end into bounded pieces', async () => {
    await callMethod(c, 'out', 'long', [40_000]);
    await waitFor(() => lines.filter((l) => /^x+$/.test(l.line)).reduce((n, l) => n + l.line.length, 0) === 40_000, 10_000, 'all of it');
    expect(Math.max(...lines.filter((l) => /^x+$/.test(l.line)).map((l) => l.line.length))).toBe(16 * 1024);
  });
});

describe('a Python project in the sandbox', () => {
  const marker = String(100_000 + Math.floor(Math.random() * 800_000));
  afterAll(() => killAll(withMarker(`1000.${marker}`)));

  it("runs with the host's python3, prints as robot output, and what it starts goes with its worker", async () => {
    expect((await call(c, 'update', { data: PY })).status).toBe('success');
    await callMethod(c, 'out', 'say', ['snake']);
    await waitFor(() => ['python module loaded', 'py: snake', 'py err: snake'].every((x) => texts().includes(x)), 10_000, 'the prints');
    expect(lines.find((l) => l.line === 'py err: snake')!.stream).toBe('stderr');
    await callMethod(c, 'out', 'linger', [marker]);
    await waitFor(() => withMarker(`1000.${marker}`).length === 1, 10_000, 'the child');
    expect((await call(c, 'update', { data: JS })).status).toBe('success');
    await waitFor(() => withMarker(`1000.${marker}`).length === 0, 10_000, 'the child to go with its worker');
  });
});
