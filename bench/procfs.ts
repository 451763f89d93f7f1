/**
 * Process memory and CPU time from /proc (Linux): VmRSS now, VmHWM (peak) since the last
 * reset, CPU used, and the children of a process (the broker's workers), so they are
 * measured from outside the processes under test.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null; // the process is gone
  }
}

/** Resident set size in bytes, or null when the process is gone. */
export const rssBytes = (pid: number): number | null => statusField(pid, 'VmRSS');

/** Peak resident set size in bytes since start or the last resetPeak(). */
export const peakRssBytes = (pid: number): number | null => statusField(pid, 'VmHWM');

/** Reset VmHWM to the current RSS (clear_refs 5, Linux >= 4.0); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU time the process has used, user + system, all its threads, in ms (from
 * /proc/<pid>/stat, in USER_HZ ticks, 100 a second on Linux); null when it is gone.
 * Unlike a rate, this does not move when other tenants load the machine.
 */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

/** Direct children of `pid` (every thread's children list). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
    }
  } catch {
    // gone
  }
  return out;
}

/**
 * Every process below `pid`. A sandboxed worker is a grandchild at least (bwrap, its init
 * in the pid namespace, then node), so the tree, not the children, holds the workers.
 */
export function descendantPids(pid: number): number[] {
  const out: number[] = [];
  for (const c of childPids(pid)) out.push(c, ...descendantPids(c));
  return out;
}

/** The workers below `pid`: every descendant but bubblewrap's own processes. */
export function workerPids(pid: number): number[] {
  return descendantPids(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'bwrap';
    } catch {
      return false;
    }
  });
}

/** RSS of `pid` plus every process below it, in bytes. */
export function treeRssBytes(pid: number): number {
  let sum = rssBytes(pid) ?? 0;
  for (const c of descendantPids(pid)) sum += rssBytes(c) ?? 0;
  return sum;
}

/** Peak RSS of a process tree while sampled: of the whole tree, of the root alone, and of everything below it together. */
export interface TreePeak {
  peak: number;
  rootPeak: number;
  childrenPeak: number;
  samples: number;
}

/**
 * Sample the RSS of `pid` and its children every `everyMs` until stopped. Polling
 * also catches a child that exits in between (the worker that unpacked an upload).
 */
export function sampleTreePeak(pid: number, everyMs: number): { stop(): TreePeak } {
  const peak: TreePeak = { peak: 0, rootPeak: 0, childrenPeak: 0, samples: 0 };
  const sample = () => {
    const root = rssBytes(pid) ?? 0;
    let children = 0;
    for (const c of descendantPids(pid)) children += rssBytes(c) ?? 0;
    peak.peak = Math.max(peak.peak, root + children);
    peak.rootPeak = Math.max(peak.rootPeak, root);
    peak.childrenPeak = Math.max(peak.childrenPeak, children);
    peak.samples++;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * The tree's RSS once it has settled: sampled every 50 ms until it moved less than
 * `toleranceBytes` over `quietMs` (a spare still booting, garbage not yet returned, are
 * not the next measurement's), or `timeoutMs` passed. A fixed sleep before the base of a
 * memory figure left a spare booting in some rounds, and its 50-60 MB in the figure.
 */
export async function settledTree(pid: number, options: { quietMs?: number; toleranceBytes?: number; timeoutMs?: number } = {}): Promise<TreePeak & { settled: boolean }> {
  const { quietMs = 300, toleranceBytes = 2 * 1024 * 1024, timeoutMs = 5000 } = options;
  const everyMs = 50;
  const deadline = Date.now() + timeoutMs;
  const window: TreePeak[] = [];
  for (;;) {
    window.push(sampleTreePeak(pid, everyMs).stop());
    if (window.length > quietMs / everyMs) window.shift();
    const totals = window.map((w) => w.peak);
    const full = window.length * everyMs >= quietMs;
    if (full && Math.max(...totals) - Math.min(...totals) <= toleranceBytes) return { ...window.at(-1)!, settled: true };
    if (Date.now() > deadline) return { ...window.at(-1)!, settled: false };
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
