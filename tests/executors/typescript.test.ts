/**
 * What only TypeScript projects have: no build step, types stripped unchecked, ES
 * modules by default, the project's own tsconfig, and typings for robot code.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, startTestBroker, tempDir, type Client, type TestBroker } from '../helpers/broker.js';
import { FIXTURES, zipFiles } from '../helpers/zip.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('a TypeScript project', () => {
  let t: TestBroker;
  let c: Client;
  beforeAll(async () => {
    // Loading tsx stalls the worker's event loop while Node 20 starts its hooks thread
    // (~0.5 s, seconds on a loaded machine): the production heartbeat budget, not the tests' 3 s.
    t = await startTestBroker({ worker: { heartbeat_timeout: 10 } });
    c = await t.connect();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('loads despite type errors, with top-level await and import.meta (ES modules by default)', async () => {
    const main = [
      "const wrong: number = 'not a number';",
      'const ready = await Promise.resolve(42);',
      'export const robot = {',
      '  ready(): number { return ready; },',
      '  file(): string { return import.meta.url.split("/").pop()!; },',
      '  wrong(): unknown { return wrong; },',
      '};',
    ].join('\n');
    expect((await call(c, 'update', { data: zipFiles({ 'main.ts': main }) })).status).toBe('success');
    expect((await callMethod(c, 'robot', 'ready')).data).toBe(42);
    expect((await callMethod(c, 'robot', 'file')).data).toBe('main.ts');
    expect((await callMethod(c, 'robot', 'wrong')).data).toBe('not a number');
  });

  it('runs as CommonJS when its own package.json says so', async () => {
    const main = "import { basename } from 'node:path';\nexport const robot = { name: (): string => basename(__filename), req: (): string => typeof require };\n";
    const pkg = JSON.stringify({ type: 'commonjs' });
    expect((await call(c, 'update', { data: zipFiles({ 'main.ts': main, 'package.json': pkg }) })).status).toBe('success');
    expect((await callMethod(c, 'robot', 'name')).data).toBe('main.ts');
    expect((await callMethod(c, 'robot', 'req')).data).toBe('function');
  });

  it("resolves imports through the project's own tsconfig paths", async () => {
    const tsconfig = JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@lib/*': ['lib/*'] } } });
    const files = {
      'tsconfig.json': tsconfig,
      'lib/speed.ts': 'export const MAX_SPEED: number = 1.5;\n',
      'main.ts': "import { MAX_SPEED } from '@lib/speed';\nexport const robot = { max: (): number => MAX_SPEED };\n",
    };
    expect((await call(c, 'update', { data: zipFiles(files) })).status).toBe('success');
    expect((await callMethod(c, 'robot', 'max')).data).toBe(1.5);
  });

  it('answers a syntax error in main.ts with file, line and column', async () => {
    const r = await call(c, 'update', { data: zipFiles({ 'main.ts': 'export const robot = {\n  go(): string {\n    return "x" +;\n  },\n};\n' }) });
    expect(r).toMatchObject({ status: 'error', data: { code: 'E_PROJECT_LOAD', file: 'main.ts', line: 3, error: { name: 'SyntaxError' } } });
    expect(r.message).toMatch(/^main\.ts:3: SyntaxError: /);
    expect(r.message).not.toContain('/'); // no absolute paths of the broker's storage
  });

  it('answers an exception at import with the TypeScript line, through source maps', async () => {
    const main = 'type Mode = "a" | "b";\nconst mode: Mode = "a";\n\nthrow new Error(`no robot for mode ${mode}`);\n';
    const r = await call(c, 'update', { data: zipFiles({ 'main.ts': main }) });
    expect(r).toMatchObject({ status: 'error', message: 'main.ts:4: Error: no robot for mode a', data: { code: 'E_PROJECT_LOAD', file: 'main.ts', line: 4 } });
  });
});

describe('types/robot.d.ts', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  /** A project folder with robot-control "installed" (a link to this package) and @types/node. */
  function projectWith(files: Record<string, string>): string {
    const dir = tempDir('rc-types-');
    made.push(dir);
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(ROOT, join(dir, 'node_modules', 'robot-control'));
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  }

  function typecheck(dir: string): { ok: boolean; output: string } {
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      return { ok: true, output: '' };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  }

  const TSCONFIG = (types: string[]) =>
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types } });

  it('type-checks the TypeScript twin (import type from robot-control/robot)', () => {
    const dir = projectWith({});
    cpSync(join(FIXTURES, 'twins', 'ts'), dir, { recursive: true });
    expect(typecheck(dir)).toEqual({ ok: true, output: '' });
  }, 90_000);

  it('declares pushMessage and RobotControl.* through a triple-slash reference', () => {
    const good = 'class R implements RobotControl.Stoppable {\n  stop(): void {\n    pushMessage("stopped", { at: 1 });\n  }\n}\nexport const r = new R();\n';
    const misuse = 'pushMessage(42);\n';
    const dir = projectWith({ 'main.ts': `/// <reference types="robot-control/robot" />\n${good}`, 'misuse.ts': misuse, 'tsconfig.json': TSCONFIG(['node']) });
    // The only error is the misuse: pushMessage's event must be a string.
    const { ok, output } = typecheck(dir);
    expect(ok).toBe(false);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^misuse\.ts\(1,13\): error TS2345: /)]);
  }, 90_000);

  it('declares them through tsconfig "types" too', () => {
    const good = 'export const r: RobotControl.Stoppable = { stop() { pushMessage("stopped"); } };\n';
    expect(typecheck(projectWith({ 'main.ts': good, 'tsconfig.json': TSCONFIG(['node', 'robot-control/robot']) }))).toEqual({ ok: true, output: '' });
  }, 90_000);
});
