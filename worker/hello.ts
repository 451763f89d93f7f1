/**
 * The worker's first act: read the hello the server wrote on the private pipe (fd 3):
 * its config, its routing id and the secret that proves its `ready`. Read before any
 * robot code runs, synchronously, so nothing else in this process sees it arrive.
 */
import { readSync } from 'node:fs';
import { WORKER_PIPE_FD, type WorkerHello } from '../ipc/worker-protocol.js';

const MAX_HELLO = 1024 * 1024;

/** The hello, or null (with why) if the pipe closed or held something else. */
export function readHello(): { hello: WorkerHello } | { error: string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(WORKER_PIPE_FD, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a non-blocking pipe: the line is on its way
        continue;
      }
      return { error: `cannot read fd ${WORKER_PIPE_FD} (${code ?? (err as Error).message}): the worker is started by the server` };
    }
    if (n === 0) return { error: `fd ${WORKER_PIPE_FD} closed before the hello: the worker is started by the server` };
    const nl = buf.subarray(0, n).indexOf(10);
    chunks.push(Buffer.from(buf.subarray(0, nl === -1 ? n : nl)));
    size += n;
    if (nl !== -1) break;
    if (size > MAX_HELLO) return { error: 'the hello is too long' };
  }
  try {
    const hello = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerHello;
    if (typeof hello?.config !== 'object' || typeof hello.routingId !== 'string' || typeof hello.secret !== 'string') throw new Error('not a hello');
    return { hello };
  } catch (err) {
    return { error: `unreadable hello: ${(err as Error).message}` };
  }
}
