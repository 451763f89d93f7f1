/**
 * The panel's rules without a browser: the args form's literals and templates, the
 * teleop velocity args, and which worker_status messages make a timeline row.
 */
import { describe, expect, it } from 'vitest';
import type { MethodInfo, WorkerStatus } from '../../dist/ipc/protocol.js';
import { kindOf, literal, template } from '../../panel/src/method-form.js';
import { velocityArgs } from '../../panel/src/teleop.js';
import { WorkerTimeline } from '../../panel/src/worker-timeline.js';

describe('the args form', () => {
  it('reads JavaScript and Python literals, and leaves expressions alone', () => {
    expect([literal('0'), literal('-1.5'), literal("'walk'"), literal('"run"'), literal('`x`'), literal('True'), literal('None'), literal('[]'), literal('{}')]).toEqual([
      0, -1.5, 'walk', 'run', 'x', true, null, [], {},
    ]);
    expect(literal('MAX_SPEED')).toBeUndefined();
    expect(literal('`${a}`')).toBeUndefined();
    expect(literal(undefined)).toBeUndefined();
  });

  it('maps declared types to inputs', () => {
    expect(['number', 'float', 'int', 'boolean', 'bool', 'string', 'str', "'walk' | 'trot'", 'Velocity', undefined].map(kindOf)).toEqual([
      'number', 'number', 'number', 'boolean', 'boolean', 'string', 'string', 'string', 'json', 'json',
    ]);
  });

  it('a template of the defaults, in the shape the method takes', () => {
    const move: MethodInfo = { args: 'object', params: [{ name: 'vx', default: '0' }, { name: 'vy', default: '0' }, { name: 'mode', default: 'MODE' }] };
    expect(template(move)).toBe('{"vx":0,"vy":0}');
    expect(template({ args: 'array', params: [{ name: 'a' }, { name: 'b', default: '1' }] })).toBe('[null,1]');
    expect(template({ args: 'array', params: [{ name: 'a' }, { name: 'b' }] })).toBe('');
    expect(template({ args: 'array', params: [] })).toBe('');
  });
});

describe('teleop velocity args', () => {
  const v = { forward: 0.5, turn: -1 };
  it('fills the velocity parameters by name, object or positional', () => {
    expect(velocityArgs({ args: 'object', params: [{ name: 'vx' }, { name: 'vy' }, { name: 'vyaw' }] }, v)).toEqual({ vx: 0.5, vy: 0, vyaw: -1 });
    expect(velocityArgs({ args: 'array', params: [{ name: 'linear' }, { name: 'angular' }, { name: 'ms', default: '100' }] }, v)).toEqual([0.5, -1, 100]);
    expect(velocityArgs(null, v)).toEqual({ vx: 0.5, vy: 0, vyaw: -1 });
  });
});

describe('the worker timeline', () => {
  const s = (state: WorkerStatus['state'], generation: number, reason = 'update'): WorkerStatus => ({ state, generation, pid: state === 'ready' ? 100 + generation : null, reason, restarts: 0 });
  it('one row per settled state: an upload is one row, the repeat on reconnect none', () => {
    const t = new WorkerTimeline();
    const rows = [s('ready', 1, 'start'), s('ready', 1, 'start'), s('restarting', 1), s('ready', 2), s('restarting', 2, 'crash: exit code 1'), s('ready', 3, 'crash: exit code 1'), s('failed', 3, 'crash')].filter(
      (x) => t.accept(x),
    );
    expect(rows.map((r) => `${r.state}/${r.generation}`)).toEqual(['ready/1', 'ready/2', 'ready/3', 'failed/3']);
  });
});
