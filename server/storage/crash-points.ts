/**
 * TEST ONLY. `ROBOT_CONTROL_TEST_CRASH_AT=<step>` makes the server SIGKILL itself when
 * an update reaches that step, so tests/lifecycle/crash-steps.test.ts can prove that a
 * crash between any two steps leaves the last good project current. Never set it
 * outside a test: the broker dies on purpose.
 *
 *   unpacked         the upload is unpacked in .staging, nothing else happened
 *   staged           moved into .releases as a staged release, not current
 *   loaded           a worker loaded the staged release; storage not yet swapped
 *   previous-linked  .previous points at the old current; current not yet swapped
 *   swapped          current points at the new release; the new worker not yet promoted
 */
export type CrashStep = 'unpacked' | 'staged' | 'loaded' | 'previous-linked' | 'swapped';

const step = process.env.ROBOT_CONTROL_TEST_CRASH_AT;

export function crashPoint(at: CrashStep): void {
  if (step === at) process.kill(process.pid, 'SIGKILL');
}
