/**
 * How the test files are run: each file of OWN_PROCESS in a process of its own, every
 * other file in a process it shares with the files run before it (`isolate: false`,
 * vitest.config.ts).
 *
 * A fresh process per file costs ~0.4 s of CPU for Vitest's own start and ~0.8 s to
 * import the broker, socket.io and zod again, on a CI machine whose two cores the suite
 * keeps busy. Sharing pays for small files (ten of them: 31-33 s of CPU isolated, 18 s
 * shared). It does not for the rest, measured (process accounting, whole runs of
 * `npx vitest run`): every file isolated 736 s of CPU, 446 s; the 44 files not listed
 * below shared 641 s, 394 s; also the 8-15 s files and the fuzzers shared 690 s, 429 s;
 * every file shared 808 s, 467 s, and a peak-RSS assertion failed. So OWN_PROCESS holds:
 * - the long files (LONGEST_FIRST and the others over ~8 s): the import is a small part
 *   of them;
 * - the files that measure their own process (peak RSS and bytes written, the worker
 *   processes under it) or load it hard (3,000 calls in flight, a full disk, SIGKILL
 *   mid-write);
 * - the fuzzers: thousands of cases of garbage, collected more slowly in a heap other
 *   files grew (sandbox/ipc-frames.fuzz: 3.3 s on its own, 6.1 s after other files);
 * - the browser's files, whose pages close when the process ends, whatever a failing
 *   test left open.
 * A new file shares a process unless it is listed here.
 */

/**
 * The files that took longest in a full run (per-file CPU and wall time measured with
 * process accounting, 2026-11-27), in that order: they start first (tests/sequencer.ts).
 */
export const LONGEST_FIRST = [
  'docs/commands',
  'bench-smoke',
  'lifecycle/stop-signals',
  'cli/commands',
  'lifecycle/crash-steps',
  'panel/access',
  'faults',
  'panel/operator',
  'executors/python',
  'executors/twins',
  'lifecycle/heartbeat',
  'lifecycle/stop-during-operations',
  'zip-safety/rollback',
  'cli/watch-dev',
];

export const OWN_PROCESS = [
  ...LONGEST_FIRST,
  // more than ~8 s in a full run
  'executors/seed-python-example',
  'executors/typescript',
  'lifecycle/npm-start',
  'observability/log-viewer',
  'sandbox/early-kill',
  'token',
  'zip-safety/store',
  // they measure their own process, or load it hard
  'zip-safety/limits',
  'lifecycle/update',
  'lifecycle/spare',
  'lifecycle/kill-log',
  'hostile/disk-full',
  'hostile/in-flight',
  'http/pre-auth',
  // the fuzzers
  '**/*.fuzz',
  // the browser's
  'http/browser',
  'panel/*',
];

/** The glob of each listed file, from the repository root. */
export const testFiles = (names: readonly string[]): string[] => names.map((n) => `tests/${n}.test.ts`);
