/**
 * examples/python_client.py against a real broker, with Debian's python3-socketio.
 * No skipping: if the packages are missing this fails and says what to install.
 */
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestBroker, tempDir, waitForFreeSlot, type TestBroker } from '../helpers/broker.js';

/** Debian's interpreter: the one that sees python3-socketio (a pyenv `python3` on PATH does not). */
const PYTHON = process.env.ROBOT_CONTROL_TEST_PYTHON ?? '/usr/bin/python3';
const EXAMPLE = fileURLToPath(new URL('../../examples/python_client.py', import.meta.url));
const DEFAULT_PROJECT = fileURLToPath(new URL('../../storage/projects/default', import.meta.url));

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

function example(args: string[]) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  return execa(PYTHON, [EXAMPLE, '--url', t.url, ...args], { env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
}

describe('examples/python_client.py', () => {
  it(`runs on ${PYTHON} with python3-socketio and python3-websocket installed`, async () => {
    const r = await execa(PYTHON, ['-c', 'import socketio, websocket; print(socketio.Client.__module__)'], { reject: false });
    expect(r.exitCode, `${PYTHON} cannot import python-socketio/websocket-client: apt-get install python3-socketio python3-websocket\n${r.stderr}`).toBe(0);
  });

  it('uploads a folder, starts, calls methods, gets an error code, and receives pushed events', async () => {
    const r = await example(['--token', t.token, '--project', DEFAULT_PROJECT, '--events', '3']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const lines = r.stdout.split('\n');
    // Events print from python-socketio's thread, so worker_status may come before this line.
    expect(lines.some((l) => /^connected to http:\/\/127\.0\.0\.1:\d+ as python-/.test(l)), r.stdout).toBe(true);
    const update = lines.find((l) => l.startsWith('update '));
    expect(JSON.parse(update!.slice('update '.length))).toMatchObject({ type: 'javascript', entry: 'main.js', files: 2 });
    const start = lines.find((l) => l.startsWith('start '));
    expect(Object.keys(JSON.parse(start!.slice('start '.length)).objects).sort()).toEqual(['recognition', 'sport_client']);
    expect(lines).toContain('call sport_client.StandUp -> {"posture": "standing"}');
    expect(lines).toContain('call sport_client.Fly -> error E_UNKNOWN_METHOD: "sport_client" has no method "Fly"');
    const events = lines.filter((l) => l.startsWith('event recognition_result '));
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(events[0]!.slice('event recognition_result '.length))).toMatchObject({ count: expect.any(Number), object: expect.any(String) });
    expect(lines.some((l) => l.startsWith('event worker_status '))).toBe(true);
    expect(lines).toContain('call sport_client.StandDown -> {"posture": "lying"}');
    await waitForFreeSlot(t.url, t.token);
  });

  it('a bad upload prints the broker code and exits 1', async () => {
    const bad = join(tempDir(), 'bad.zip');
    writeFileSync(bad, 'not a zip');
    const r = await example(['--token', t.token, '--project', bad]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^error E_INVALID_ZIP: /m);
    await waitForFreeSlot(t.url, t.token);
  });

  it('a wrong token is refused: "unauthorized", exit 1', async () => {
    const r = await example(['--token', 'wrong']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/connection refused: unauthorized/);
  });

  it('"busy" is retried until --wait, then refused', async () => {
    const holder = await connectClient(t.url, { token: t.token, clientId: 'someone-else' });
    try {
      const r = await example(['--token', t.token, '--wait', '0.6']);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/busy: another client holds the robot; retrying/);
      expect(r.stderr).toMatch(/connection refused: busy/);
    } finally {
      holder.close();
    }
  });
});
