/**
 * Process memory from /proc (Linux): VmRSS now, VmHWM (peak) since the last reset,
 * and the children of a process (the broker's workers), so memory is measured from
 * outside the processes under test.
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

/** RSS of `pid` plus its direct children, in bytes. */
export function treeRssBytes(pid: number): number {
  let sum = rssBytes(pid) ?? 0;
  for (const c of childPids(pid)) sum += rssBytes(c) ?? 0;
  return sum;
}

/**
 * Sample `treeRssBytes(pid)` every `everyMs` until stopped: the peak seen. Polling
 * also catches a child that exits in between (the worker that unpacked an upload).
 */
export function sampleTreePeak(pid: number, everyMs: number): { stop(): { peak: number; samples: number } } {
  let peak = treeRssBytes(pid);
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(pid));
    samples++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, treeRssBytes(pid));
      return { peak, samples: samples + 1 };
    },
  };
}
