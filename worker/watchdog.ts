/**
 * The worker exits when the server dies, however it dies: it reads the lifeline (fd
 * WORKER_LIFELINE_FD), whose other end only the server holds; end-of-file there means
 * the server is gone, and the worker kills its whole process group (robot code's
 * children included; in a sandbox, the worker's death ends its pid namespace and
 * everything in it). A worker orphaned while it starts reads end-of-file at once.
 *
 * Without a sandbox the lifeline is read by a thread of its own, so a worker whose main
 * thread spins in robot code's synchronous loop still goes. In a sandbox, bwrap's
 * --die-with-parent already ends it then, and the lifeline is read on the main thread
 * (no thread: ~10 MB less per worker). It covers what --die-with-parent cannot: bwrap
 * arms it only once the sandbox is set up, so a server killed in a worker's first
 * milliseconds would leave that sandbox running; its worker then boots to a lifeline
 * already at end-of-file, before any robot code could spin.
 */
import { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { WORKER_LIFELINE_FD } from '../ipc/worker-protocol.js';

// CommonJS, no imports: the thread starts in a few milliseconds and holds next to nothing.
// The socket is the thread's own (its own event loop), so a spinning main thread does not stop it.
const THREAD = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
${watch.toString()}
watch(net.Socket, workerData.fd);
`;

/** Read the lifeline `fd` until it ends, then kill this process's group and itself. */
function watch(SocketClass: typeof Socket, fd: number): void {
  const die = () => {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      // not a group leader (in a sandbox): killing itself ends the sandbox
    }
    process.kill(process.pid, 'SIGKILL');
  };
  const lifeline = new SocketClass({ fd, readable: true, writable: false });
  lifeline.on('end', die);
  lifeline.on('error', die);
  lifeline.resume();
}

/** Watch the lifeline: on a thread of its own unless `sandboxed` (see the file comment). */
export function watchServer(sandboxed: boolean): void {
  if (sandboxed) {
    watch(Socket, WORKER_LIFELINE_FD);
    return;
  }
  const thread = new Worker(THREAD, { eval: true, workerData: { fd: WORKER_LIFELINE_FD }, resourceLimits: { maxOldGenerationSizeMb: 8 } });
  thread.unref();
}
