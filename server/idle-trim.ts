/**
 * Memory given back once the server goes quiet.
 *
 * Under load V8 grows the young generation to its largest (two 16 MiB semi-spaces) and
 * keeps it: an idle server after a burst of calls held 32 MiB of young generation with
 * 1-3 MiB in use (`v8.getHeapSpaceStatistics()`, docs/PERFORMANCE.md), still 30 s later.
 * V8 shrinks it at a full collection only when little was allocated over the last ~5 s,
 * and an idle process collects nothing. Hence one full collection (~5 ms) once the event
 * loop has been quiet for QUIET_MS: measured, the server went from ~145 to ~110 MB RSS.
 *
 * The price is the next burst's: it starts with a small young generation, scavenged more
 * often until V8 has grown it again (a throwaway probe allocating a million small objects:
 * 109-147 ms right after a trim against 75-76 ms without, the next million alike). So
 * QUIET_MS is a pause in human terms, not a gap between bursts of commands.
 *
 * Quiet means the event loop's utilization stayed under QUIET_UTILIZATION in every
 * check for QUIET_MS: a trickle of commands is quiet, a stream of them is not. Only a
 * young generation over GROWN_BYTES is worth the collection (it starts at 1 MiB and
 * grows only under load), so a broker idle for hours collects once, after its last busy
 * spell; one V8 declined to shrink (it had collected less than 5 s before) is tried again
 * RETRY_MS later.
 * The process has one trimmer whoever holds it (tests run several brokers in one).
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

export const CHECK_MS = 1000;
export const QUIET_MS = 30_000;
export const RETRY_MS = 6000;
export const QUIET_UTILIZATION = 0.05;
export const GROWN_BYTES = 4 * 1024 * 1024;

export interface TrimOptions {
  checkMs?: number;
  quietMs?: number;
  /** Told after each collection: the young generation's size before and after, bytes. */
  onTrim?: (youngBefore: number, youngAfter: number) => void;
}

/** The size of V8's young generation now, bytes. */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0;
}

let collect: (() => void) | null = null;

/** V8's `gc()`, without exposing it to the process's own global (set for one new context, then unset). */
function fullCollection(): () => void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
    v8.setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

export class IdleTrim {
  private timer: NodeJS.Timeout | null = null;
  private last = performance.eventLoopUtilization();
  private quietFor = 0;
  /** Collections made so far. */
  trims = 0;

  constructor(private readonly options: TrimOptions = {}) {}

  start(): void {
    if (this.timer) return;
    const checkMs = this.options.checkMs ?? CHECK_MS;
    this.last = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.check(checkMs), checkMs).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private check(checkMs: number): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.last).utilization >= QUIET_UTILIZATION;
    this.last = now;
    this.quietFor = busy ? 0 : this.quietFor + checkMs;
    if (this.quietFor < (this.options.quietMs ?? QUIET_MS)) return;
    const before = youngGenerationBytes();
    if (before <= GROWN_BYTES) return;
    fullCollection()();
    this.trims++;
    const after = youngGenerationBytes();
    // Shrunk: nothing to do until a busy spell grows it. Declined: again after RETRY_MS.
    if (after > GROWN_BYTES) this.quietFor -= Math.min(this.quietFor, RETRY_MS);
    this.options.onTrim?.(before, after);
    // The collection itself must not read as the loop being busy.
    this.last = performance.eventLoopUtilization();
  }
}

type OnTrim = NonNullable<TrimOptions['onTrim']>;
let shared: IdleTrim | null = null;
const holders = new Set<OnTrim>();

/**
 * Hold the process's trimmer (started by the first holder, stopped when the last lets
 * go); `onTrim` is told of each collection while held. Returns the letting go.
 */
export function holdIdleTrim(onTrim: OnTrim = () => {}): () => void {
  const held: OnTrim = (before, after) => onTrim(before, after);
  holders.add(held);
  shared ??= new IdleTrim({ onTrim: (before, after) => holders.forEach((h) => h(before, after)) });
  shared.start();
  return () => {
    if (!holders.delete(held) || holders.size > 0) return;
    shared?.stop();
    shared = null;
  };
}
