/**
 * Process memory and CPU time from /proc (Linux): RSS now (statm), VmHWM (peak) since the last
 * reset, CPU used, and the children of a process (the broker's workers), so they are
 * measured from outside the processes under test.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const PAGE_BYTES = 4096;

/** Resident set size in bytes, or null when the process is gone (statm's second field: far cheaper for the kernel to make than status). */
export function rssBytes(pid: number): number | null {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'latin1');
    return Number(statm.split(' ', 2)[1]) * PAGE_BYTES;
  } catch {
    return null; // the process is gone
  }
}

/** Peak resident set size in bytes since start or the last resetPeak() (VmHWM), or null when the process is gone. */
export function peakRssBytes(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null; // the process is gone
  }
}

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

/** CPU time of each thread of `pid` (user + system, ms), keyed `name#tid` (name: the thread's comm); empty when it is gone. */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${name}#${tid}`, (Number(fields[11]) + Number(fields[12])) * 10);
    }
  } catch {
    // gone, or a thread that ended between the listing and its read
  }
  return out;
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

/** How often the sampler looks for processes that joined the tree (finding them reads every thread's children: ~0.6 ms for a broker's tree). */
const TREE_REFRESH_MS = 100;

/**
 * Sample the RSS of `pid` and its children every `everyMs` until stopped. Polling
 * also catches a child that exits in between (the worker that unpacked an upload).
 * The tree itself is looked up every TREE_REFRESH_MS, not at every sample: a sample of
 * a broker's tree cost the bench (the process sending the load) 0.74 ms of CPU, 15% of
 * a core at a 5 ms period (now ~0.25 ms), and a floor's one process 0.15 ms.
 */
export function sampleTreePeak(pid: number, everyMs: number): { stop(): TreePeak } {
  const peak: TreePeak = { peak: 0, rootPeak: 0, childrenPeak: 0, samples: 0 };
  let tree: number[] = [];
  let treeAt = Number.NEGATIVE_INFINITY;
  const sample = () => {
    if (performance.now() - treeAt >= TREE_REFRESH_MS) {
      tree = descendantPids(pid);
      treeAt = performance.now();
    }
    const s = treeSample(pid, tree);
    peak.peak = Math.max(peak.peak, s.peak);
    peak.rootPeak = Math.max(peak.rootPeak, s.rootPeak);
    peak.childrenPeak = Math.max(peak.childrenPeak, s.childrenPeak);
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

/** One sample of the RSS of `pid` and of `tree` (its descendants, looked up now unless given). */
export function treeSample(pid: number, tree = descendantPids(pid)): TreePeak {
  const root = rssBytes(pid) ?? 0;
  let children = 0;
  for (const c of tree) children += rssBytes(c) ?? 0;
  return { peak: root + children, rootPeak: root, childrenPeak: children, samples: 1 };
}

/**
 * The tree's RSS once it has settled: sampled every 50 ms until it moved less than
 * `toleranceBytes` over `quietMs` (a spare still booting, garbage not yet returned, are
 * not the next measurement's), or `timeoutMs` passed. A fixed sleep before the base of a
 * memory figure left a spare booting in some rounds, and its 50-60 MB in the figure.
 */
export async function settledTree(pid: number, options: { quietMs?: number; toleranceBytes?: number; timeoutMs?: number } = {}): Promise<TreePeak> {
  const { quietMs = 300, toleranceBytes = 2 * 1024 * 1024, timeoutMs = 5000 } = options;
  const everyMs = 50;
  const deadline = Date.now() + timeoutMs;
  const window: TreePeak[] = [];
  for (;;) {
    window.push(treeSample(pid));
    if (window.length > quietMs / everyMs) window.shift();
    const totals = window.map((w) => w.peak);
    const full = window.length * everyMs >= quietMs;
    if ((full && Math.max(...totals) - Math.min(...totals) <= toleranceBytes) || Date.now() > deadline) return window.at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
