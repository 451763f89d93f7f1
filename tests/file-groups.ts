/**
 * How the test files are run: each file of OWN_PROCESS in a process of its own, every
 * other file in a process it shares with the files run before it (`isolate: false`,
 * vitest.config.ts).
 *
 * A fresh process per file costs ~0.4 s of CPU for Vitest's own start and ~0.8 s to
 * import the broker, socket.io and zod again, on a CI machine of two cores (which the
 * suite kept busy on the machine of these figures; 1.2-1.4 of them on a slower one, hence
 * three forks). Sharing pays for small files (ten of them: 31-33 s of CPU isolated, 18 s
 * shared). It does not for the rest, measured (process accounting, whole runs of
 * `npx vitest run`): every file isolated 736 s of CPU, 446 s; the 44 files not listed
 * below shared 641 s, 394 s; also the 8-15 s files and the fuzzers shared 690 s, 429 s;
 * every file shared 808 s, 467 s, and a peak-RSS assertion failed. So OWN_PROCESS holds:
 * - the long files (LONGEST_FIRST, every file over 8 s): the import is a small part of
 *   them;
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
 * The files that took longest, longest first: they start first (tests/sequencer.ts), so
 * that the last minutes are the small files and both forks stay busy to the end. Their
 * order is what they took in a clean clone's `npm test` (2026-11-27, 23:00): Vitest
 * orders by the durations of the previous run, which a clean clone does not have.
 * Every file over 8 s is here: Vitest runs this group before the shared one, and a long
 * file starting last in it kept one fork idle for ~15 s.
 */
export const LONGEST_FIRST = [
  'docs/commands',
  'lifecycle/stop-signals',
  'bench-smoke',
  'lifecycle/crash-steps',
  'faults',
  'panel/access',
  'cli/commands',
  'panel/operator',
  'executors/python',
  'executors/twins',
  'zip-safety/rollback',
  'executors/seed-python-example',
  'panel/replay',
  'sandbox/early-kill',
  'panel/playback',
  'lifecycle/stop-during-operations',
  'cli/watch-dev',
  'panel/watch',
  'lifecycle/heartbeat',
  'panel/control',
  'lifecycle/npm-start',
  'panel/lease',
  'executors/typescript',
  'lifecycle/update',
  'push/replay',
  'zip-safety/store',
  'panel/stream',
  'lifecycle/idle-trim',
  'hostile/zip.fuzz',
  'http/requests.fuzz',
  'observability/log-viewer',
  'token',
  'http/browser',
  'hostile/socketio.fuzz',
];

export const OWN_PROCESS = [
  ...LONGEST_FIRST,
  // they measure their own process, or load it hard
  'zip-safety/limits',
  'lifecycle/spare',
  'lifecycle/kill-log',
  'hostile/disk-full',
  'hostile/in-flight',
  'http/pre-auth',
  // the fuzzers
  '**/*.fuzz',
  // the browser's
  'panel/*',
];

/** The glob of each listed file, from the repository root. */
export const testFiles = (names: readonly string[]): string[] => names.map((n) => `tests/${n}.test.ts`);
