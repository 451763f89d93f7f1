/**
 * The in-flight limit (worker.max_in_flight): every call under it succeeds, calls
 * past it get E_OVERLOADED at once (never sent to the robot), and a burst of
 * thousands of calls never sees a spurious E_WORKER_UNAVAILABLE.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../dist/ipc/protocol.js';
import { call, callMethod, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { codeOf } from './support.js';

/** Past libzmq's default pipe (1,000 messages each side), which is what gave spurious E_WORKER_UNAVAILABLE. */
const LIMIT = 3000;

/**
 * `hold(flag)` answers once the file `flag` exists in the robot's data folder (the one
 * folder of the host a sandboxed worker shares): calls stay in flight until the test says so.
 */
const HOLDER = zipFiles({
  'main.js': `const { existsSync } = require('node:fs');
const { join } = require('node:path');
const waiting = [];
let timer = null;
exports.gate = {
  hold(flag) {
    return new Promise((resolve) => {
      waiting.push(resolve);
      timer ??= setInterval(() => {
        if (!existsSync(join(process.env.ROBOT_DATA_DIR, flag))) return;
        clearInterval(timer);
        timer = null;
        for (const release of waiting.splice(0)) release('released');
      }, 20);
    });
  },
  echo(x) { return x; },
  /** Block the worker's event loop (requests pile up in the pipe to it meanwhile), then hold like hold(). */
  busy(ms, flag) {
    const end = Date.now() + ms;
    while (Date.now() < end);
    return flag ? exports.gate.hold(flag) : 'done';
  },
};
`,
});

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  // A roomy heartbeat deadline: the pings queue behind thousands of calls, and this test is about the limit, not the heartbeat.
  t = await startTestBroker({ worker: { max_in_flight: LIMIT, max_execution_time: 60, heartbeat_timeout: 30 } });
  c = await t.connect();
  expect((await call(c, 'update', { data: HOLDER })).status).toBe('success');
});
afterAll(async () => {
  await t?.close();
});

function tally(acks: Ack[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of acks) {
    const k = a.status === 'success' ? 'success' : codeOf(a)!;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('worker.max_in_flight', () => {
  it(`${LIMIT} calls queued to a busy worker and held in flight all succeed; 25 more get exactly 25 E_OVERLOADED at once`, async () => {
    const flag = 'release';
    const hostFlag = join(t.config.worker.data_dir, flag);
    const held = [callMethod(c, 'gate', 'busy', [1000, flag], 60_000)];
    for (let i = 1; i < LIMIT; i++) held.push(callMethod(c, 'gate', 'hold', [flag], 60_000));
    const extra = await Promise.all(Array.from({ length: 25 }, (_, i) => callMethod(c, 'gate', 'echo', [i], 60_000)));
    expect(extra.map(codeOf)).toEqual(new Array(25).fill('E_OVERLOADED'));
    expect(extra[0]!.data).toMatchObject({ code: 'E_OVERLOADED', limit: LIMIT });
    expect(existsSync(hostFlag)).toBe(false); // answered while all the held calls were still in flight
    writeFileSync(hostFlag, '');
    expect(tally(await Promise.all(held))).toEqual({ success: LIMIT });
    expect((await callMethod(c, 'gate', 'echo', ['after'])).data).toBe('after');
  }, 90_000);
});
