/**
 * What the lifecycle tests share: small robot projects that misbehave on purpose, and
 * the processes a broker leaves behind, read from /proc (the whole tree or the whole
 * process group, never only the first child).
 */
import { readdirSync, readFileSync } from 'node:fs';
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

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), cmdline };
  } catch {
    return null;
  }
}

/** Every live process (zombies are dead: they only wait to be reaped). */
function processes(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => readProc(Number(n)))
    .filter((p): p is ProcInfo => p !== null && p.state !== 'Z');
}

/** Live members of process group `pgid`. */
export function groupMembers(pgid: number): ProcInfo[] {
  return processes().filter((p) => p.pgid === pgid);
}

/**
 * The live processes of the broker whose server leads group `pgid`: the group, what its
 * members started (workers lead groups of their own), and whatever of `seen` is still
 * alive (a worker outlives its server's death until it notices). Adds what it finds to `seen`.
 */
export function brokerProcesses(pgid: number, seen: Set<number>): ProcInfo[] {
  const all = processes();
  const found = new Map<number, ProcInfo>();
  for (const p of all) if (p.pgid === pgid || seen.has(p.pid)) found.set(p.pid, p);
  let frontier = [...found.keys()];
  while (frontier.length) {
    const kids = all.filter((p) => frontier.includes(p.ppid) && !found.has(p.pid));
    for (const k of kids) found.set(k.pid, k);
    frontier = kids.map((k) => k.pid);
  }
  for (const pid of found.keys()) seen.add(pid);
  return [...found.values()];
}

/** Live descendants of `pid` (children, grandchildren...). */
export function descendants(pid: number): ProcInfo[] {
  const all = processes();
  const out: ProcInfo[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const kids = all.filter((p) => frontier.includes(p.ppid));
    out.push(...kids);
    frontier = kids.map((k) => k.pid);
  }
  return out;
}

/** Worker processes (node running dist/worker/main.js) among `procs`: not the bubblewrap processes around a sandboxed one. */
export function workersAmong(procs: ProcInfo[]): ProcInfo[] {
  return procs.filter((p) => p.cmdline.includes('worker/main.js') && !/^\S*bwrap /.test(p.cmdline));
}

export function alive(pid: number): boolean {
  const p = readProc(pid);
  return p !== null && p.state !== 'Z';
}

/** A good project whose import takes `ms` (an ES module awaiting at top level): its update is slow to verify. */
export function slowLoadingProject(version: string, ms: number): Buffer {
  return zipFiles({
    'main.mjs': `await new Promise((r) => setTimeout(r, ${ms}));\nexport const probe = { version: () => ${JSON.stringify(version)}, pid: () => process.pid };\n`,
  });
}
