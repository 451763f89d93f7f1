/**
 * The worker exits when the server dies, even while robot code spins its main thread
 * in synchronous code (which never reads a pipe or runs a timer): a thread of its own
 * reads the lifeline (fd WORKER_LIFELINE_FD), whose other end only the server holds;
 * end-of-file there means the server is gone, and the thread kills the worker's whole
 * process group (robot code's children included; in a sandbox, the worker's death ends
 * its pid namespace and everything in it).
 *
 * This is what bwrap's --die-with-parent cannot cover: its sandbox arms that only once
 * its mounts are set up, so a server killed in the first milliseconds of a worker would
 * leave the sandbox running. A worker orphaned while it starts reads end-of-file at once.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_LIFELINE_FD } from '../ipc/protocol.js';

// CommonJS, no imports: the thread starts in a few milliseconds and holds next to nothing.
// The socket is the thread's own (its own event loop), so a spinning main thread does not stop it.
const THREAD = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
const die = () => {
  try { process.kill(-process.pid, 'SIGKILL'); } catch {}
  process.kill(process.pid, 'SIGKILL');
};
const lifeline = new net.Socket({ fd: workerData.fd, readable: true, writable: false });
lifeline.on('end', die);
lifeline.on('error', die);
lifeline.resume();
`;

/** Watch the lifeline: when the server is gone (or already is), the worker goes. */
export function watchServer(): void {
  const thread = new Worker(THREAD, { eval: true, workerData: { fd: WORKER_LIFELINE_FD }, resourceLimits: { maxOldGenerationSizeMb: 8 } });
  thread.unref();
}
