/**
 * One robot, three languages: tests/fixtures/twins/{js,ts,py} are the same robot in
 * JavaScript, TypeScript and Python, and every case below runs against each of them
 * through a real broker, worker (and Python child), ZeroMQ and Socket.IO client.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, collect, waitFor, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { FIXTURES, zipFiles } from '../helpers/zip.js';
import { connectMonitor } from '../observability/helpers.js';

interface Twin {
  lang: 'js' | 'ts' | 'py';
  type: 'javascript' | 'typescript' | 'python';
  entry: string;
  helper: string;
  /** The helper module with a syntax error on line 3. */
  brokenHelper: string;
}

const TWINS: Twin[] = [
  {
    lang: 'js',
    type: 'javascript',
    entry: 'main.js',
    helper: 'geometry.js',
    brokenHelper: "'use strict';\nfunction distance(dx, dy) {\n  return Math.sqrt(dx * dx + dy * dy;\n}\nmodule.exports = { distance };\n",
  },
  {
    lang: 'ts',
    type: 'typescript',
    entry: 'main.ts',
    helper: 'geometry.ts',
    brokenHelper: '// geometry\nexport function distance(dx: number, dy: number): number {\n  return Math.sqrt(dx * dx + dy * dy;\n}\n',
  },
  {
    lang: 'py',
    type: 'python',
    entry: 'main.py',
    helper: 'geometry.py',
    brokenHelper: 'import math\ndef distance(dx, dy):\n    return math.sqrt(dx * dx + dy * dy;\n',
  },
];

const OBJECTS = {
  robot: ['add', 'configure', 'fail', 'push', 'push_reserved', 'status', 'stop', 'stop_counts', 'stream', 'wait'],
  sensor: ['read'],
};

/** The fixture folder as path -> content, to zip as it is or with a file replaced. */
function fixtureFiles(lang: string): Record<string, Buffer> {
  const dir = join(FIXTURES, 'twins', lang);
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
}

function code(ack: { data: unknown }): string | undefined {
  return (ack.data as { code?: string } | null)?.code;
}

// The three twins (a broker each) run side by side, each twin's tests in order: most of a
// twin's time is waiting (a 1.5 s call, a 3 s max_execution_time), and it waits for all three at once.
const step = it.sequential;

describe.concurrent.each(TWINS)('the $lang twin', (twin) => {
  let t: TestBroker;
  let c: Client;

  beforeAll(async () => {
    // heartbeat_timeout: the production 10 s. Loading tsx stalls the worker's event loop while
    // Node 20 starts its hooks thread (~0.5 s; seconds on a loaded 2-core machine).
    t = await startTestBroker({ worker: { max_execution_time: 3, heartbeat_timeout: 10 } });
    c = await t.connect();
  });
  afterAll(async () => {
    await t?.close();
  });

  step('update installs the ZIP built from the fixture folder', async () => {
    const files = fixtureFiles(twin.lang);
    const r = await call(c, 'update', { data: zipFiles(files) });
    expect(r).toMatchObject({ status: 'success', data: { type: twin.type, entry: twin.entry, files: Object.keys(files).length } });
  });

  step('start lists the same objects and methods', async () => {
    const r = await call<{ type: string; objects: Record<string, string[]> }>(c, 'start', {});
    expect(r.status).toBe('success');
    const data = r.data as { type: string; objects: Record<string, string[]> };
    expect(data.type).toBe(twin.type);
    const sorted = Object.fromEntries(Object.entries(data.objects).map(([k, v]) => [k, [...v].sort()]));
    expect(sorted).toEqual(OBJECTS);
  });

  step('start describes each method alike: parameters, how args carry them, hooks', async () => {
    const r = await call<{ methods: Record<string, Record<string, { params: Array<{ name: string; optional?: boolean; default?: string }>; args: string; hook?: boolean; doc?: string }>> }>(c, 'start', {});
    const methods = (r.data as { methods: Record<string, Record<string, { params: Array<{ name: string; optional?: boolean; default?: string }>; args: string; hook?: boolean; doc?: string }>> }).methods;
    const shape = (m: { params: Array<{ name: string; optional?: boolean; default?: string }>; args: string; hook?: boolean }) =>
      `${m.args}(${m.params.map((p) => `${p.name}${p.optional ? '?' : ''}${p.default ? `=${p.default}` : ''}`).join(', ')})${m.hook ? ' hook' : ''}`;
    const got = Object.fromEntries(Object.entries(methods).map(([o, ms]) => [o, Object.fromEntries(Object.entries(ms).map(([n, m]) => [n, shape(m)]))]));
    const interval = twin.lang === 'py' ? 'interval_ms' : 'intervalMs';
    expect(got).toEqual({
      robot: {
        add: 'array(a, b)', configure: "object(speed?=1, mode?='walk')", status: 'array()', wait: 'array(ms)', fail: 'array()', push: 'array(n)',
        push_reserved: 'array(name)', stream: `array(n, ${interval})`, stop_counts: 'array()', stop: 'array() hook',
      },
      sensor: { read: 'array()' },
    });
    expect(methods.robot!.stream!.doc).toMatch(/^Push `n` `stream` events from/);
  });

  step('spreads array args, passes object args (keyword arguments in Python), and none when absent', async () => {
    expect((await callMethod(c, 'robot', 'add', [2, 3])).data).toBe(5);
    expect((await callMethod(c, 'robot', 'configure', { speed: 2, mode: 'trot' })).data).toEqual({ speed: 2, mode: 'trot' });
    expect((await callMethod(c, 'robot', 'status')).data).toEqual({ speed: 2, mode: 'trot' });
    expect((await callMethod(c, 'robot', 'configure', {})).data).toEqual({ speed: 1, mode: 'walk' });
    expect((await callMethod(c, 'sensor', 'read')).data).toEqual({ distance: 5 });
  });

  step('a long async call does not block a later short one', async () => {
    let slowDone = false;
    const slow = callMethod(c, 'robot', 'wait', [1500]).then((r) => {
      slowDone = true;
      return r;
    });
    const fast = await callMethod(c, 'robot', 'add', [1, 1]);
    expect(fast.data).toBe(2);
    expect(slowDone).toBe(false);
    expect((await slow).data).toEqual({ waited: 1500 });
  });

  step('answers robot errors and unknown names with codes', async () => {
    expect(await callMethod(c, 'robot', 'fail')).toMatchObject({ status: 'error', message: 'robot says no', data: { code: 'E_METHOD_FAILED' } });
    expect(code(await callMethod(c, 'nobody', 'add', [1, 2]))).toBe('E_UNKNOWN_OBJECT');
    expect(code(await callMethod(c, 'robot', 'nothing'))).toBe('E_UNKNOWN_METHOD');
  });

  step('a robot error names its project-relative file:line and shows only the project\'s frames', async () => {
    const r = await callMethod(c, 'robot', 'fail');
    const data = r.data as { location?: { file: string; line: number }; error: { stack: string } };
    expect(data.location).toMatchObject({ file: twin.entry, line: twin.lang === 'js' ? 34 : twin.lang === 'ts' ? 36 : 35 });
    expect(data.error.stack).toContain(`${twin.entry}:`.replace('.py:', '.py"'));
    // No absolute path, no release folder, no broker frame.
    expect(data.error.stack).not.toMatch(/\/|\.releases|dist\/worker|node:internal|python_runner/);
  });

  step('never calls dunder, private, inherited or internal names', async () => {
    const methods = ['constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', '_secret',
      '__init__', '__class__', '__dict__', '__repr__', '__reduce__', '__getattribute__', '__subclasshook__', '__setattr__', 'mro'];
    for (const method of methods) expect(code(await callMethod(c, 'robot', method, [])), method).toBe('E_UNKNOWN_METHOD');
    const objects = ['__proto__', 'constructor', 'prototype', 'default', 'toString', '__builtins__', '__name__', '__file__', 'push_message',
      'pushMessage', 'Robot', 'Sensor', 'distance', 'geometry', 'stop', 'stop_counts', 'stopCounts', 'math', 'threading', 'asyncio', 'time'];
    for (const object of objects) expect(code(await callMethod(c, object, 'add', [1, 2])), object).toBe('E_UNKNOWN_OBJECT');
  });

  step('relays pushes in order, from a call and from the background', async () => {
    const ticks = collect<{ i: number }>(c, 'tick');
    expect((await callMethod(c, 'robot', 'push', [20])).data).toBe(20);
    await waitFor(() => ticks.length === 20, 5000, '20 ticks');
    expect(ticks.map((x) => x.i)).toEqual([...Array(20).keys()]);

    const stream = collect<{ i: number }>(c, 'stream');
    expect((await callMethod(c, 'robot', 'stream', [5, 20])).data).toBe('streaming');
    await waitFor(() => stream.length === 5, 5000, '5 stream events');
    expect(stream.map((x) => x.i)).toEqual([0, 1, 2, 3, 4]);
  });

  step("tags a push made during a call with that call's request id", async () => {
    const { monitor, seen } = await connectMonitor(t.url, t.token);
    try {
      expect((await callMethod(c, 'robot', 'push', [3])).data).toBe(3);
      const ticks = () => seen.filter((s) => s.event === 'push' && s.data.event === 'tick');
      await waitFor(() => ticks().length === 3, 5000, 'the monitored pushes');
      const command = seen.find((s) => s.event === 'command' && s.data.method === 'push');
      expect(command?.data.reqId).toBeGreaterThan(0);
      expect(ticks().map((s) => s.data.reqId)).toEqual([command!.data.reqId, command!.data.reqId, command!.data.reqId]);
    } finally {
      monitor.close();
    }
  });

  step('refuses reserved event names with E_RESERVED_EVENT', async () => {
    for (const name of ['connect', 'disconnect', 'connect_error', 'callback', 'worker_status']) {
      const r = await callMethod(c, 'robot', 'push_reserved', [name]);
      expect(code(r), name).toBe('E_RESERVED_EVENT');
    }
  });

  step('runs the object and module stop() hooks when the client leaves, keeping the project loaded', async () => {
    const before = (await callMethod<{ robot: number; module: number }>(c, 'robot', 'stop_counts')).data as { robot: number; module: number };
    const lines = t.logLines().length;
    c.close();
    const stopLine = () => t.logLines().slice(lines).find((l) => l.msg === 'stop hooks ran');
    await waitFor(() => stopLine() !== undefined, 10_000, 'stop hooks');
    expect([...(stopLine()!.stopped as string[])].sort()).toEqual(['robot.stop', 'stop']);
    c = await t.connect();
    const loads = t.logLines().filter((l) => l.msg === 'project loaded').length;
    const after = (await callMethod(c, 'robot', 'stop_counts')).data;
    expect(after).toEqual({ robot: before.robot + 1, module: before.module + 1 });
    expect(t.logLines().filter((l) => l.msg === 'project loaded').length).toBe(loads);
  });

  step('answers a syntax error with E_PROJECT_LOAD at file:line, and keeps the previous project', async () => {
    const broken = { ...fixtureFiles(twin.lang), [twin.helper]: twin.brokenHelper };
    const r = await call(c, 'update', { data: zipFiles(broken) });
    expect(r.status).toBe('error');
    expect(r.data).toMatchObject({ code: 'E_PROJECT_LOAD', file: twin.helper, line: 3 });
    expect(r.message.startsWith(`${twin.helper}:3: `)).toBe(true);
    expect((await callMethod(c, 'robot', 'add', [1, 2])).data).toBe(3);
    expect(((await call(c, 'start', {})).data as { type: string }).type).toBe(twin.type);
  });

  step('answers a call past max_execution_time with E_TIMEOUT; the next call works', async () => {
    expect(code(await callMethod(c, 'robot', 'wait', [10_000], 15_000))).toBe('E_TIMEOUT');
    expect((await callMethod(c, 'robot', 'add', [4, 5])).data).toBe(9);
  });
});
