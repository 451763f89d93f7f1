/**
 * What only Python projects have: a child process of their own. Its prints become log
 * lines, its threads run calls side by side, what is callable follows Python's rules,
 * and its death, wedge or memory use is handled like the Node worker's own.
 */
import { chmodSync, existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerStatus } from '../../dist/ipc/protocol.js';
import { call, callMethod, collect, startTestBroker, tempDir, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

const MAIN = `
import asyncio
import contextvars
import dataclasses
import logging
import math
import os
import sys
import threading
import time

import helper

push_message = None

SETTINGS = {"speed": 1}
NAMES = ["a", "b"]
LOCK = threading.Lock()
BARRIERS = {}
MARK = contextvars.ContextVar("mark", default=None)
LOGGER = logging.getLogger("robot")

print("robot module loaded")
print("robot warming up", file=sys.stderr)


@dataclasses.dataclass
class Pose:
    x: float
    y: float


class Base:
    def inherited(self):
        return "from base"


class Robot(Base):
    greeting = "hi"

    def __init__(self):
        self.on_demand = lambda: "instance function"
        self._hidden = lambda: "hidden"

    @property
    def boom(self):
        raise RuntimeError("a property must never run")

    @staticmethod
    def static_add(a, b):
        return a + b

    @classmethod
    def kind(cls):
        return cls.__name__

    def kwargs(self, a, b=2, *, c=3):
        return [a, b, c]

    def echo(self, *args, **kwargs):
        return {"args": args, "kwargs": kwargs}

    def values(self):
        return {"tuple": (1, 2), "set": {3}, "nan": math.nan, "pose": Pose(1.5, 2), "bytes": b"hi"}

    def sleep(self, seconds):
        time.sleep(seconds)
        return "slept"

    def meet(self, n):
        BARRIERS.setdefault(n, threading.Barrier(n, timeout=20)).wait()
        return "met"

    def mark(self, value):
        previous = MARK.get()
        MARK.set(value)
        return previous

    def say(self, text):
        print(text)
        print("err: " + text, file=sys.stderr)
        return text

    def push_from_thread(self, n):
        def run():
            for i in range(n):
                push_message("thread_tick", {"i": i})

        threading.Thread(target=run).start()
        return "started"

    def push_from_helper(self):
        return helper.announce("hello")

    async def async_fail(self):
        await asyncio.sleep(0)
        raise ValueError("async no")

    def exit(self):
        sys.exit(2)

    def eat_memory(self, mb):
        return len(bytearray(mb * 1024 * 1024))

    def crash(self, code):
        os._exit(code)

    def wedge(self):
        # sum() over a range loops in C, holding the GIL: no Python thread runs.
        return sum(range(10 ** 13))

    def pid(self):
        return os.getpid()

    def cwd(self):
        return os.getcwd()


class Worker(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)

    def ping(self):
        return "pong"


class Slow:
    def stop(self):
        time.sleep(30)


robot = Robot()
worker = Worker()
slow = Slow()


def stop():
    print("module stop ran")
`;

const HELPER = `
push_message = None


def announce(text):
    push_message("announce", {"text": text})
    return "announced"
`;

const PROJECT = { 'main.py': MAIN, 'helper.py': HELPER };

function code(ack: { data: unknown }): string | undefined {
  return (ack.data as { code?: string } | null)?.code;
}

/** Alive and not a zombie (an orphan may wait a moment to be reaped). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('a Python project', () => {
  let t: TestBroker;
  let c: Client;
  let statuses: WorkerStatus[];

  beforeAll(async () => {
    // sandbox none: these tests follow the Python child by its pid, which a sandbox's pid namespace renumbers (tests/sandbox runs Python sandboxed).
    t = await startTestBroker({ worker: { max_memory_mb: 64, stop_timeout: 1, max_execution_time: 60, sandbox: 'none' } });
    c = await t.connect();
    statuses = collect<WorkerStatus>(c, 'worker_status');
    expect((await call(c, 'update', { data: zipFiles(PROJECT) })).status).toBe('success');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('exposes module-level instances of its own classes only, with their own methods', async () => {
    const objects = ((await call(c, 'start', {})).data as { objects: Record<string, string[]> }).objects;
    expect(Object.keys(objects).sort()).toEqual(['robot', 'slow', 'worker']);
    expect([...objects.robot!].sort()).toEqual([
      'async_fail', 'crash', 'cwd', 'eat_memory', 'echo', 'exit', 'inherited', 'kind', 'kwargs', 'mark', 'meet', 'on_demand', 'pid',
      'push_from_helper', 'push_from_thread', 'say', 'sleep', 'static_add', 'values', 'wedge',
    ]);
    // A threading.Thread subclass: its own ping, none of Thread's start/run/join.
    expect(objects.worker).toEqual(['ping']);
    for (const object of ['SETTINGS', 'NAMES', 'LOCK', 'LOGGER', 'Pose', 'Robot', 'helper', 'asyncio', 'push_message', 'stop', '__builtins__']) {
      expect(code(await callMethod(c, object, 'ping')), object).toBe('E_UNKNOWN_OBJECT');
    }
    for (const method of ['start', 'run', 'join', 'is_alive', '__init__', '_bootstrap']) {
      expect(code(await callMethod(c, 'worker', method)), method).toBe('E_UNKNOWN_METHOD');
    }
    for (const method of ['boom', 'greeting', '_hidden', '__class__', '__dict__', '__reduce_ex__']) {
      expect(code(await callMethod(c, 'robot', method)), method).toBe('E_UNKNOWN_METHOD');
    }
    expect((await callMethod(c, 'robot', 'static_add', [2, 3])).data).toBe(5);
    expect((await callMethod(c, 'robot', 'kind')).data).toBe('Robot');
    expect((await callMethod(c, 'robot', 'inherited')).data).toBe('from base');
    expect((await callMethod(c, 'robot', 'on_demand')).data).toBe('instance function');
    expect((await callMethod(c, 'worker', 'ping')).data).toBe('pong');
  });

  it('maps args: array -> positional, object -> keyword arguments, absent -> none', async () => {
    expect((await callMethod(c, 'robot', 'echo', [1, 'a'])).data).toEqual({ args: [1, 'a'], kwargs: {} });
    expect((await callMethod(c, 'robot', 'echo', { x: 1 })).data).toEqual({ args: [], kwargs: { x: 1 } });
    expect((await callMethod(c, 'robot', 'echo')).data).toEqual({ args: [], kwargs: {} });
    expect((await callMethod(c, 'robot', 'kwargs', { a: 1, c: 5 })).data).toEqual([1, 2, 5]);
    const wrong = await callMethod(c, 'robot', 'kwargs', { nope: 1 });
    expect(wrong).toMatchObject({ status: 'error', data: { code: 'E_METHOD_FAILED', error: { name: 'TypeError' } } });
  });

  it('returns values as JSON would carry them', async () => {
    expect((await callMethod(c, 'robot', 'values')).data).toEqual({ tuple: [1, 2], set: [3], nan: null, pose: { x: 1.5, y: 2 }, bytes: 'aGk=' });
  });

  it("logs the robot's stdout and stderr lines as src:robot", async () => {
    const lines = () => t.logLines().filter((l) => l.src === 'robot');
    await waitFor(() => lines().some((l) => l.msg === 'robot module loaded'), 5000, 'the import-time print');
    expect(lines().some((l) => l.msg === 'robot warming up' && l.stream === 'stderr')).toBe(true);
    await callMethod(c, 'robot', 'say', ['hello log']);
    await waitFor(() => lines().some((l) => l.msg === 'hello log' && l.stream === 'stdout'), 5000, 'the print');
    await waitFor(() => lines().some((l) => l.msg === 'err: hello log' && l.stream === 'stderr'), 5000, 'the stderr line');
  });

  it('runs a blocking call in its own thread: a later call is answered first', async () => {
    let slowDone = false;
    const slow = callMethod(c, 'robot', 'sleep', [1.5]).then((r) => {
      slowDone = true;
      return r;
    });
    expect((await callMethod(c, 'robot', 'static_add', [1, 1])).data).toBe(2);
    expect(slowDone).toBe(false);
    expect((await slow).data).toBe('slept');
  });

  it('runs any number of calls at once, on threads kept between calls; each call starts with a fresh context', async () => {
    for (let round = 0; round < 2; round++) {
      // 12 calls that each wait until all 12 are inside at once: more than the threads kept idle.
      const all = await Promise.all(Array.from({ length: 12 }, () => callMethod(c, 'robot', 'meet', [12])));
      expect(all.map((r) => r.data)).toEqual(Array(12).fill('met'));
    }
    // More calls than threads are kept: some run on a thread an earlier one ran on.
    for (let i = 0; i < 20; i++) expect((await callMethod(c, 'robot', 'mark', [i])).data).toBeNull();
  });

  it('pushes from a thread and from a helper module that declares push_message = None', async () => {
    const ticks = collect<{ i: number }>(c, 'thread_tick');
    const announced = collect<{ text: string }>(c, 'announce');
    expect((await callMethod(c, 'robot', 'push_from_thread', [50])).data).toBe('started');
    expect((await callMethod(c, 'robot', 'push_from_helper')).data).toBe('announced');
    await waitFor(() => ticks.length === 50 && announced.length === 1, 5000, 'the pushes');
    expect(ticks.map((x) => x.i)).toEqual([...Array(50).keys()]);
    expect(announced).toEqual([{ text: 'hello' }]);
  });

  it("reports an exception with the robot's own traceback, and SystemExit fails only the call", async () => {
    const r = await callMethod(c, 'robot', 'async_fail');
    expect(r).toMatchObject({ status: 'error', message: 'async no', data: { code: 'E_METHOD_FAILED', error: { name: 'ValueError' } } });
    const stack = (r.data as { error: { stack: string } }).error.stack;
    expect(stack).toContain('File "main.py", line');
    expect(stack).not.toContain('python_runner.py');
    expect(await callMethod(c, 'robot', 'exit')).toMatchObject({ status: 'error', data: { code: 'E_METHOD_FAILED', error: { name: 'SystemExit' } } });
    expect((await callMethod(c, 'robot', 'static_add', [2, 2])).data).toBe(4);
  });

  it('runs in the project folder', async () => {
    expect((await callMethod(c, 'robot', 'cwd')).data).toBe(realpathSync(join(t.config.worker.storage_dir, 'current')));
  });

  it('turns memory past worker.max_memory_mb into a MemoryError; the next call works', async () => {
    const r = await callMethod(c, 'robot', 'eat_memory', [1024]);
    expect(r).toMatchObject({ status: 'error', data: { code: 'E_METHOD_FAILED', error: { name: 'MemoryError' } } });
    expect((await callMethod(c, 'robot', 'eat_memory', [8])).data).toBe(8 * 1024 * 1024);
  });

  it('gives stop() hooks a deadline: a hook that hangs is reported and the rest run', async () => {
    const before = t.logLines().length;
    c.close();
    const ran = () => t.logLines().slice(before).find((l) => l.msg === 'stop hooks ran');
    await waitFor(() => ran() !== undefined, 10_000, 'stop hooks');
    expect(ran()!.stopped).toEqual(['slow.stop', 'stop']);
    expect(t.logLines().slice(before).some((l) => l.msg === 'stop hook failed' && l.hook === 'slow.stop')).toBe(true);
    c = await t.connect();
    statuses = collect<WorkerStatus>(c, 'worker_status');
  });

  it('a Python child that dies takes the worker down with the reason; the supervisor restarts it', async () => {
    const pid = (await callMethod<number>(c, 'robot', 'pid')).data as number;
    expect(code(await callMethod(c, 'robot', 'crash', [3]))).toBe('E_WORKER_CRASHED');
    const reason = 'crash: python runner died: python exited with code 3';
    await waitFor(() => statuses.some((s) => s.state === 'restarting' && s.reason === reason), 10_000, 'a restart for the crash');
    await waitFor(() => t.broker.supervisor.status().state === 'ready', 10_000, 'ready again');
    const next = (await callMethod<number>(c, 'robot', 'pid')).data as number;
    expect(next).not.toBe(pid);
    expect(isAlive(pid)).toBe(false);
  });

  it('a Python child wedged holding the GIL is killed by the liveness check; the next call works', async () => {
    const pid = (await callMethod<number>(c, 'robot', 'pid')).data as number;
    expect(code(await callMethod(c, 'robot', 'wedge', undefined, 30_000))).toBe('E_WORKER_CRASHED');
    await waitFor(() => statuses.some((s) => s.state === 'restarting' && /python wedged/.test(s.reason ?? '')), 10_000, 'a restart for the wedge');
    await waitFor(() => t.broker.supervisor.status().state === 'ready', 10_000, 'ready again');
    expect((await callMethod(c, 'robot', 'static_add', [3, 4])).data).toBe(7);
    await waitFor(() => !isAlive(pid), 5000, 'the wedged child to be gone');
  });

  it('the Python child goes when its worker is replaced', async () => {
    const pid = (await callMethod<number>(c, 'robot', 'pid')).data as number;
    expect(isAlive(pid)).toBe(true);
    expect((await call(c, 'update', { data: zipFiles(PROJECT) })).status).toBe('success');
    await waitFor(() => !isAlive(pid), 5000, 'the old child to be gone');
  });
});

describe('the configured interpreter (worker.python)', () => {
  let t: TestBroker | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the project with the configured Python', async () => {
    dir = tempDir('rc-python-');
    const marker = join(dir, 'used');
    const python = join(dir, 'my-python');
    const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    writeFileSync(python, `#!/bin/sh\necho "$@" > '${marker}'\nexec '${real}' "$@"\n`);
    chmodSync(python, 0o755);
    t = await startTestBroker({ worker: { python, sandbox: 'none' } }); // the wrapper writes its marker in the test's own /tmp
    const c = await t.connect();
    expect((await call(c, 'update', { data: zipFiles(PROJECT) })).status).toBe('success');
    expect((await callMethod(c, 'robot', 'static_add', [1, 2])).data).toBe(3);
    expect(existsSync(marker) && readFileSync(marker, 'utf8')).toContain('python_runner.py');
  });

  it('answers E_PROJECT_LOAD when the interpreter cannot start, and keeps the previous project', async () => {
    await t?.close();
    t = await startTestBroker({ worker: { python: '/nonexistent/python3' } });
    const c = await t.connect();
    expect((await callMethod(c, 'sport_client', 'StandUp')).status).toBe('success'); // the default project is current
    const r = await call(c, 'update', { data: zipFiles(PROJECT) });
    expect(r).toMatchObject({ status: 'error', data: { code: 'E_PROJECT_LOAD', file: 'main.py' } });
    expect(r.message).toContain('cannot start Python (/nonexistent/python3)');
    expect((await callMethod(c, 'sport_client', 'GetStatus')).status).toBe('success');
  });
});
