/** worker/stack.ts on its own: a V8 stack reduced to the project's frames, paths relative to a given root. */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFrames, projectError, projectRoots, trimmedCall } from '../../dist/worker/stack.js';
import { tempDir } from '../helpers/broker.js';

const ROOT = '/srv/robot/.releases/17-1';

function thrown(stack: string, message = 'boom', name = 'Error'): Error {
  const e = new Error(message);
  e.name = name;
  e.stack = stack;
  return e;
}

describe('project stacks', () => {
  it('keeps the project frames, relative, innermost first, and points at the first one outside node_modules', () => {
    const e = thrown(
      [
        'TypeError: boom',
        `    at helper (${ROOT}/node_modules/dep/index.js:3:9)`,
        `    at Object.boom (file://${ROOT}/lib/h.js:2:9)`,
        `    at async R.Fail (${ROOT}/main.js:12:18)`,
        '    at ObjectTable.call (file:///opt/robot-control/dist/worker/object-table.js:70:23)',
        '    at AsyncLocalStorage.run (node:async_hooks:346:14)',
      ].join('\n'),
      'boom',
      'TypeError',
    );
    const p = projectError(e, [ROOT]);
    expect(p.name).toBe('TypeError');
    expect(p.stack).toBe(
      ['TypeError: boom', '    at helper (node_modules/dep/index.js:3:9)', '    at Object.boom (lib/h.js:2:9)', '    at async R.Fail (main.js:12:18)'].join('\n'),
    );
    expect(p.location).toEqual({ file: 'lib/h.js', line: 2, column: 9 });
  });

  it('makes project paths in the message relative, and has no location when no frame is the project\'s', () => {
    const p = projectError(thrown(`Error: ENOENT: open '${ROOT}/data.json'\n    at open (node:fs:1:1)`, `ENOENT: open '${ROOT}/data.json'`), [ROOT]);
    expect(p.message).toBe("ENOENT: open 'data.json'");
    expect(p.stack).toBe("Error: ENOENT: open 'data.json'");
    expect(p.location).toBeNull();
  });

  it('takes anything thrown, not only Errors', () => {
    expect(projectError('plain', [ROOT])).toMatchObject({ name: 'Error', message: 'plain', stack: 'Error: plain', location: null });
    expect(projectError(null, [ROOT]).message).toBe('null');
  });

  it('a sibling folder whose name starts like the root is not the project', () => {
    const p = projectError(thrown(`Error: x\n    at f (${ROOT}0/main.js:1:1)`), [ROOT]);
    expect(p.location).toBeNull();
  });

  it('finds the project by its real path too (the loaded folder may be a symlink)', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'release'));
    symlinkSync(join(dir, 'release'), join(dir, 'current'));
    const roots = projectRoots(join(dir, 'current'));
    const p = projectError(thrown(`Error: x\n    at f (${join(dir, 'release', 'main.js')}:4:2)`), roots);
    expect(p.location).toEqual({ file: 'main.js', line: 4, column: 2 });
  });

  it('parses frames of every V8 shape it meets', () => {
    expect(parseFrames('Error\n    at new Robot (/p/main.js:1:2)\n    at /p/main.js:3:4\n    at eval (eval at <anonymous> (/p/x.js:1:1), <anonymous>:1:1)')).toEqual([
      { fn: 'new Robot', path: '/p/main.js', line: 1, column: 2 },
      { fn: '', path: '/p/main.js', line: 3, column: 4 },
    ]);
  });

  it('trimmedCall trims throws and rejections, and lets the kept kind through untouched', async () => {
    class Kept extends Error {}
    const keep = (e: unknown) => e instanceof Kept;
    const boom = () => {
      throw thrown(`Error: no\n    at f (${ROOT}/main.js:5:5)`, 'no');
    };
    expect(() => trimmedCall(boom, [ROOT], keep)).toThrow(expect.objectContaining({ location: { file: 'main.js', line: 5, column: 5 } }));
    await expect(trimmedCall(async () => boom(), [ROOT], keep)).rejects.toMatchObject({ location: { file: 'main.js', line: 5, column: 5 } });
    const kept = new Kept('mine');
    expect(() => trimmedCall(() => { throw kept; }, [ROOT], keep)).toThrow(kept);
    expect(trimmedCall(() => 42, [ROOT], keep)).toBe(42);
  });
});
