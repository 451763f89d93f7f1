/**
 * What the lifecycle tests share: small robot projects that misbehave on purpose, and
 * the processes a broker leaves behind, read from /proc (the whole tree or the whole
 * process group, never only the first child).
 */
import { expect } from 'vitest';
import { call, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

/** A test broker (with these `worker` settings) running `project`, and its client. */
export async function brokerRunning(project: Buffer, worker: Record<string, unknown> = {}): Promise<{ t: TestBroker; c: Client }> {
  const t = await startTestBroker({ worker });
  const c = await t.connect();
  const ack = await call(c, 'update', { data: project });
  expect(ack.status, JSON.stringify(ack)).toBe('success');
  return { t, c };
}

/** A project that says its version; `stopMs` makes its stop() hook that slow. */
export function versionProject(version: string, options: { stopMs?: number } = {}): Buffer {
  const stop = options.stopMs ? `exports.stop = () => new Promise((r) => setTimeout(r, ${options.stopMs}));\n` : '';
  return zipFiles({
    // `instance`: which worker process answers (a sandboxed worker's own pid is its namespace's, the same in every worker).
    'main.js': `const instance = require('node:crypto').randomUUID();\nexports.probe = { version: () => ${JSON.stringify(version)}, instance: () => instance, add: (a, b) => a + b, count: (xs) => xs.length };\n${stop}`,
  });
}

/** A project whose import never finishes: its update fails only at the load deadline. */
export function hangingProject(): Buffer {
  return zipFiles({ 'main.mjs': 'await new Promise(() => {});\nexport const probe = { version: () => "never" };\n' });
}

export { alive, brokerProcesses, descendants, groupMembers, workersAmong } from '../helpers/procs.js';

/** A good project whose import takes `ms` (an ES module awaiting at top level): its update is slow to verify. */
export function slowLoadingProject(version: string, ms: number): Buffer {
  return zipFiles({
    'main.mjs': `console.log('loading ${version}');\nawait new Promise((r) => setTimeout(r, ${ms}));\nexport const probe = { version: () => ${JSON.stringify(version)}, pid: () => process.pid };\n`,
  });
}
