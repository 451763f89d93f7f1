/** The broker driven by a real Python Socket.IO client (Debian's python3-socketio). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { zipFiles } from './helpers/zip.js';

// Debian's interpreter: the python3 on PATH may be one that cannot see Debian's packages.
const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./python/drive_broker.py', import.meta.url).pathname;

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

it('python-socketio uploads, starts, calls and receives pushes', async () => {
  const zip = join(t.dir, 'robot.zip');
  writeFileSync(
    zip,
    zipFiles({
      'main.js': `exports.robot = {
        add(a, b) { return a + b; },
        whole(o) { return o; },
        push(n) { for (let i = 0; i < n; i++) pushMessage('tick', { i }); return n; },
      };`,
    }),
  );
  // A missing python3-socketio fails here (ModuleNotFoundError), it never skips.
  const r = await execa(PYTHON, [SCRIPT, t.url, t.token, zip], { reject: false, timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const out = JSON.parse(r.stdout) as Record<string, { status: string; data: unknown }> & { ticks: unknown[] };
  expect(out.update).toMatchObject({ status: 'success', data: { type: 'javascript', entry: 'main.js', files: 1 } });
  expect(out.start).toMatchObject({ status: 'success', data: { objects: { robot: ['add', 'whole', 'push'] } } });
  expect(out.add).toEqual({ status: 'success', message: 'ok', data: 42 });
  expect(out.whole).toMatchObject({ status: 'success', data: { speed: 1 } });
  expect(out.unknown).toMatchObject({ status: 'error', data: { code: 'E_UNKNOWN_METHOD' } });
  expect(out.ticks).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
});
