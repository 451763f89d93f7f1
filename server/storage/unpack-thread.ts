/**
 * Unpacking runs off the server's event loop, in a `worker_threads` thread with its
 * own heap limit: a 100 MB archive (or an adm-zip bug: a throw, an endless parse, a
 * heap blow-up) costs that thread, never the server. Whatever goes wrong there is an
 * `update` error with a code; the server goes on serving calls meanwhile.
 */
import { Worker } from 'node:worker_threads';
import { BrokerError, type WireError } from '../../ipc/errors.js';
import type { UnpackLimits, UnpackResult } from './unpack.js';

/** The thread's heap: room for the archive, adm-zip's entry table and inflate buffers. */
export const UNPACK_HEAP_MB = 512;

/** What the thread posts back (unpack-worker.ts). */
export type UnpackReply = { ok: true; result: UnpackResult } | { ok: false; message: string; error: WireError };

const SCRIPT = new URL('./unpack-worker.js', import.meta.url);

/** Unpack `zip` into the empty folder `target` in a thread of its own; bounded by `limits.timeoutMs`. */
export function unpackOffThread(zip: Buffer, target: string, limits: UnpackLimits & { timeoutMs: number }): Promise<UnpackResult> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(SCRIPT, {
      workerData: { zip, target, limits: { maxUnpackedBytes: limits.maxUnpackedBytes, maxEntries: limits.maxEntries } },
      resourceLimits: { maxOldGenerationSizeMb: UNPACK_HEAP_MB },
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void thread.terminate();
    };
    const timer = setTimeout(
      () => settle(() => reject(new BrokerError('E_TIMEOUT', `unpacking did not finish within ${limits.timeoutMs} ms`, { timeoutMs: limits.timeoutMs }))),
      limits.timeoutMs,
    );
    thread.once('message', (reply: UnpackReply) =>
      settle(() => (reply.ok ? resolve(reply.result) : reject(BrokerError.fromWire(reply.message, reply.error)))),
    );
    thread.once('error', (err: Error & { code?: string }) =>
      settle(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new BrokerError('E_ZIP_LIMIT', `unpacking the ZIP needs more than ${UNPACK_HEAP_MB} MB of memory`, { limit: 'memory', memoryMb: UNPACK_HEAP_MB })
            : new BrokerError('E_INVALID_ZIP', `the ZIP could not be unpacked: ${err.message}`),
        ),
      ),
    );
    thread.once('exit', (code) => settle(() => reject(new BrokerError('E_INTERNAL', `the unpack thread exited (code ${code}) without an answer`))));
  });
}
