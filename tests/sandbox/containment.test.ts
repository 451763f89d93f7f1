/**
 * The pieces of containment that are plain data in, decision out: what a worker's
 * environment holds, which folders a sandbox hides and binds back, how the worker's own
 * log lines are re-written, what is redacted. (The real sandbox is in the other
 * tests/sandbox files.)
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hiddenFolders, interpreterBinds, isInside, notHideable } from '../../dist/server/sandbox/bwrap.js';
import { workerEnvironment } from '../../dist/server/sandbox/environment.js';
import { readLines } from '../../dist/server/sandbox/lines.js';
import { makeRedactor } from '../../dist/server/sandbox/redact.js';
import { parseAllowPath } from '../../dist/server/sandbox/sandbox.js';
import { TokenBucket } from '../../dist/server/sandbox/token-bucket.js';
import { parseWorkerLine } from '../../dist/server/sandbox/worker-log.js';
import { parseConfig } from '../../dist/server/config.js';

describe('the worker environment', () => {
  const host = { PATH: '/usr/bin', LANG: 'C.UTF-8', LC_TIME: 'de_DE', HOME: '/root', ROBOT_CONTROL_TOKEN: 'secret', ROBOT_CONTROL_URL: 'x', AWS_SECRET_ACCESS_KEY: 'k', ROS_DOMAIN_ID: '7' };

  it('is an allow-list: the token and anything else unnamed stay behind', () => {
    const env = workerEnvironment(host, { extra: [], fixed: { HOME: '/tmp' } });
    expect(env).toEqual({ PATH: '/usr/bin', LANG: 'C.UTF-8', LC_TIME: 'de_DE', HOME: '/tmp' });
  });

  it('passes what worker.env_allow names, never ROBOT_CONTROL_*', () => {
    expect(workerEnvironment(host, { extra: ['ROS_DOMAIN_ID', 'ROBOT_CONTROL_TOKEN'], fixed: {} })).toMatchObject({ ROS_DOMAIN_ID: '7' });
    expect(workerEnvironment(host, { extra: ['ROBOT_CONTROL_TOKEN'], fixed: {} }).ROBOT_CONTROL_TOKEN).toBeUndefined();
    expect(() => parseConfig({ worker: { env_allow: ['ROBOT_CONTROL_TOKEN'] } }, '/x', {})).toThrow(/worker.env_allow/);
  });
});

describe('what a sandbox hides', () => {
  it('covers parents once, never the folders the system needs', () => {
    expect(hiddenFolders(['/tmp', '/tmp/x', '/root', '/etc', '/usr', '/'])).toEqual(['/tmp', '/root']);
    expect(notHideable(['/etc', '/srv/robot', '/'])).toEqual(['/etc', '/']);
  });

  it('binds an interpreter back by its install prefix, unless that would bring a hidden folder back', () => {
    expect(interpreterBinds(['/root/.pyenv/shims/python3', '/usr/bin/python3'], [])).toEqual(['/root/.pyenv']);
    expect(interpreterBinds(['/tmp/py/bin/python3'], [])).toEqual(['/tmp/py']);
    expect(interpreterBinds(['/tmp/my-python'], [])).toEqual(['/tmp/my-python']); // not all of /tmp
    const app = new URL('../../dist', import.meta.url).pathname; // hidden folders must exist: any folder will do
    expect(interpreterBinds([`${app}/venv/bin/python`], [app])).toEqual([`${app}/venv`]);
    expect(interpreterBinds([`${app}/bin/python`], [app])).toEqual([`${app}/bin/python`]); // its prefix is the hidden folder itself
  });

  it('reads allow_paths as read-write, or read-only with ":ro"', () => {
    expect(parseAllowPath('/dev/ttyUSB0')).toEqual({ path: '/dev/ttyUSB0', writable: true });
    expect(parseAllowPath('/opt/sdk:ro')).toEqual({ path: '/opt/sdk', writable: false });
    expect(isInside('/a/b', '/a')).toBe(true);
    expect(isInside('/ab', '/a')).toBe(false);
    expect(isInside('/a/..b', '/a')).toBe(true);
  });
});

describe("the worker's own log lines, re-written by the server", () => {
  it('keep their fields; keys that steer the broker\'s logs only under `claimed`; the server sets who and when', () => {
    const e = parseWorkerLine(JSON.stringify({ level: 50, time: 1, pid: 1, proc: 'server', gen: 99, channel: 'events', event: 'auth_failed', src: 'robot', msg: 'x', err: { message: 'm' } }))!;
    expect(e).toEqual({ level: 50, msg: 'x', fields: { err: { message: 'm' }, claimed: { channel: 'events', event: 'auth_failed', src: 'robot' } } });
  });

  it('are refused when not a JSON object; an unknown level is info', () => {
    expect(parseWorkerLine('hello')).toBeNull();
    expect(parseWorkerLine('[1]')).toBeNull();
    expect(parseWorkerLine('null')).toBeNull();
    expect(parseWorkerLine('{"level":1e9,"msg":3}')).toEqual({ level: 30, msg: '', fields: {} });
  });
});

describe('plumbing', () => {
  it('redacts a secret by value, plain and JSON-escaped', () => {
    const redact = makeRedactor(['s3cr"t', '']);
    expect(redact('a s3cr"t b')).toBe('a [redacted] b');
    expect(redact(JSON.stringify({ t: 's3cr"t' }))).toBe('{"t":"[redacted]"}');
    expect(makeRedactor([])('unchanged')).toBe('unchanged');
  });

  it('splits a pipe into lines, cutting one that never ends', async () => {
    const s = new PassThrough();
    const got: string[] = [];
    readLines(s, (l) => got.push(l), 4);
    s.write('ab\r\ncd');
    s.write('efghij\n\nk');
    s.end(Buffer.from([0xe2, 0x82]));
    await new Promise((r) => s.on('end', r));
    expect(got).toEqual(['ab', 'cdef', 'ghij', '', 'k\ufffd']);
  });

  it('a token bucket: a burst, then the rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
  });
});
