/** Processes as the host sees them (/proc), for tests that check what is left running. */
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
  /** Its process group. */
  pgid: number;
  /** R, S, D, Z (exited, not yet reaped by its parent), ... */
  state: string;
  /** Clock ticks since boot: tells a process from a later one that reuses its pid. */
  start: number;
  cmdline: string;
}

function stat(pid: number): Proc | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), state: fields[0]!, start: Number(fields[19]), cmdline };
  } catch {
    return null;
  }
}

export function allProcs(): Proc[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => stat(Number(n)))
    .filter((p): p is Proc => p !== null);
}

/** Every live process (zombies are dead: they only wait to be reaped). */
export function liveProcs(): Proc[] {
  return allProcs().filter((p) => p.state !== 'Z');
}

export function alive(pid: number): boolean {
  const p = stat(pid);
  return p !== null && p.state !== 'Z';
}

/** Live members of process group `pgid`. */
export function groupMembers(pgid: number): Proc[] {
  return liveProcs().filter((p) => p.pgid === pgid);
}

/**
 * The live processes of the broker whose server leads group `pgid`: the group, what its
 * members started (workers lead groups of their own), and whatever of `seen` is still
 * alive (a worker outlives its server's death until it notices). Adds what it finds to
 * `seen`, keyed by pid and start time, so a pid reused by another process never counts.
 */
export function brokerProcesses(pgid: number, seen: Map<number, number>): Proc[] {
  const all = liveProcs();
  const found = new Map<number, Proc>();
  for (const p of all) if (p.pgid === pgid || seen.get(p.pid) === p.start) found.set(p.pid, p);
  let frontier = [...found.keys()];
  while (frontier.length) {
    const kids = all.filter((p) => frontier.includes(p.ppid) && !found.has(p.pid));
    for (const k of kids) found.set(k.pid, k);
    frontier = kids.map((k) => k.pid);
  }
  for (const p of found.values()) seen.set(p.pid, p.start);
  return [...found.values()];
}

/** Worker processes (node running dist/worker/main.js) among `procs`: not the bubblewrap processes around a sandboxed one. */
export function workersAmong(procs: readonly Proc[]): Proc[] {
  return procs.filter((p) => p.cmdline.includes('worker/main.js') && !/^\S*bwrap /.test(p.cmdline));
}

/** `root` and everything below it that is alive, now. */
export function descendants(root: number): Proc[] {
  const procs = liveProcs();
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    for (const p of procs) {
      if (p.ppid === pid) {
        out.push(p);
        queue.push(p.pid);
      }
    }
  }
  return out;
}

/** Those of `procs` still running (the same process: same pid and start time; a zombie has exited). */
export function stillRunning(procs: readonly Proc[]): Proc[] {
  return procs.filter((p) => {
    const now = stat(p.pid);
    return now !== null && now.start === p.start && now.state !== 'Z';
  });
}

/** Running processes whose command line contains `marker`. */
export function withMarker(marker: string): Proc[] {
  return allProcs().filter((p) => p.cmdline.includes(marker) && p.pid !== process.pid && p.state !== 'Z');
}

export function killAll(procs: readonly Proc[]): void {
  for (const p of stillRunning(procs)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
