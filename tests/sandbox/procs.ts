/** Processes as the host sees them (/proc), for tests that check what is left running. */
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
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
    return { pid, ppid: Number(fields[1]), state: fields[0]!, start: Number(fields[19]), cmdline };
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

/** `root` and everything below it, now. */
export function descendants(root: number): Proc[] {
  const procs = allProcs();
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
