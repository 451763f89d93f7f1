/**
 * The worker's first module, imported before any other so that it runs before the
 * heavy ones (zeromq, the executors) are evaluated: read the hello from the
 * private pipe, and start watching for the server's death. A worker orphaned while it
 * was still starting goes as surely as one orphaned later.
 */
import { WORKER_EXIT } from '../ipc/worker-protocol.js';
import { readHello } from './hello.js';
import { watchServer } from './watchdog.js';

const read = readHello();
if ('error' in read) {
  process.stderr.write(`worker: ${read.error}\n`);
  process.exit(WORKER_EXIT.badConfig);
}
watchServer(read.hello.sandboxed);

/** What the server handed this worker (never in the environment or argv). */
export const hello = read.hello;
