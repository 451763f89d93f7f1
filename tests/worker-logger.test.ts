/**
 * The worker's own log lines (worker/logger.ts): pino's shape, which the server's reader
 * (server/sandbox/worker-log.ts) takes, written without pino. Lines captured as written.
 */
import { expect, it } from 'vitest';
import { createWorkerLogger } from '../dist/worker/logger.js';
import { parseWorkerLine } from '../dist/server/sandbox/worker-log.js';

function capture(level: string) {
  const lines: string[] = [];
  const log = createWorkerLogger(level, 7, (line) => lines.push(line));
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

it('writes one JSON line per entry: numeric level, time, the base fields, the fields, msg', () => {
  const { log, lines, parsed } = capture('info');
  const before = Date.now();
  log.info({ reqId: 3, objects: ['robot'] }, 'project loaded');
  log.warn('no fields');
  expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  const [a, b] = parsed();
  expect(a).toEqual({ level: 30, time: expect.any(Number), proc: 'worker', pid: process.pid, gen: 7, reqId: 3, objects: ['robot'], msg: 'project loaded' });
  expect(a!.time).toBeGreaterThanOrEqual(before);
  expect(b).toMatchObject({ level: 40, msg: 'no fields' });
  // The server's reader takes them as they are.
  expect(parseWorkerLine(lines[0]!)).toEqual({ level: 30, msg: 'project loaded', fields: { reqId: 3, objects: ['robot'] } });
});

it('drops entries below its level; silent writes nothing; an unknown level name is info', () => {
  for (const [level, written] of [['warn', [40, 50, 60]], ['debug', [20, 30, 40, 50, 60]], ['silent', []], ['nonsense', [30, 40, 50, 60]]] as const) {
    const { log, parsed } = capture(level);
    for (const name of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) log[name](name);
    expect(parsed().map((l) => l.level)).toEqual(written);
  }
});

it('a child adds its bindings to every line, and the parent is unchanged', () => {
  const { log, parsed } = capture('info');
  const child = log.child({ module: 'python' });
  child.info({ pid: 12 }, 'runner started');
  log.info('parent');
  const [c, p] = parsed();
  expect(c).toMatchObject({ module: 'python', pid: 12, gen: 7, msg: 'runner started' });
  expect(p).not.toHaveProperty('module');
});

it('an error under err is written as type, message, stack, its own fields and its cause', () => {
  const { log, parsed } = capture('info');
  const cause = new RangeError('too far');
  const err = Object.assign(new TypeError('bad move', { cause }), { code: 'E_MOVE', axis: 2 });
  log.error({ err }, 'failed');
  log.warn({ err: 'just text' }, 'not an error');
  const [e, t] = parsed();
  expect(e!.err).toEqual({
    type: 'TypeError',
    message: 'bad move',
    stack: err.stack,
    code: 'E_MOVE',
    axis: 2,
    cause: { type: 'RangeError', message: 'too far', stack: cause.stack },
  });
  expect(t!.err).toBe('just text');
});

it('a field it cannot write as JSON (a cycle, a BigInt) does not lose the line', () => {
  const { log, parsed } = capture('info');
  const loop: Record<string, unknown> = { name: 'loop' };
  loop.self = loop;
  log.info({ loop, big: 12n }, 'odd fields');
  expect(parsed()[0]).toMatchObject({ msg: 'odd fields', loop: { name: 'loop', self: '[Circular]' }, big: '12' });
});
