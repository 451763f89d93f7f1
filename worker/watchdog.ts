/**
 * The worker exits when the server dies, even while robot code spins its main thread
 * in synchronous code (which never reads a pipe or runs a timer): a thread of its own
 * polls the parent pid, and when the server is gone (the worker was re-parented) kills
 * the worker's whole process group, robot code's children included. This covers
 * `sandbox: none`; under bwrap, --die-with-parent does it from outside and no thread runs.
 */
import { Worker } from 'node:worker_threads';

/** How often the thread looks (ms): the worker is gone within this after the server. */
export const WATCHDOG_INTERVAL_MS = 200;

// CommonJS, no imports: the thread starts in a few milliseconds and holds next to nothing.
const THREAD = `
const { workerData } = require('node:worker_threads');
const look = () => {
  if (process.ppid === workerData.parent) return;
  try { process.kill(-process.pid, 'SIGKILL'); } catch {}
  process.kill(process.pid, 'SIGKILL');
};
look();
setInterval(look, workerData.intervalMs);
`;

/** Watch for `parent` (the server) to be gone; if it is already, the worker goes at once. */
export function watchParent(parent: number, intervalMs = WATCHDOG_INTERVAL_MS): void {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL'); // orphaned while it started
  const thread = new Worker(THREAD, { eval: true, workerData: { parent, intervalMs }, resourceLimits: { maxOldGenerationSizeMb: 8 } });
  thread.unref();
}
