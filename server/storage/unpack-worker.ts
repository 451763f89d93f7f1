/** The unpack thread's body (see unpack-thread.ts): each job unpacked, then its result or its coded error posted back. */
import { parentPort } from 'node:worker_threads';
import { BrokerError } from '../../ipc/errors.js';
import { unpackZip } from './unpack.js';
import type { UnpackJob, UnpackReply } from './unpack-thread.js';

parentPort!.on('message', (job: UnpackJob) => {
  const zip = Buffer.from(job.zip.buffer, job.zip.byteOffset, job.zip.byteLength);
  unpackZip(zip, job.target, job.limits).then(
    (result) => parentPort!.postMessage({ id: job.id, ok: true, result } satisfies UnpackReply),
    (err: unknown) => {
      const wire = BrokerError.from(err).toWire();
      parentPort!.postMessage({ id: job.id, ok: false, message: wire.message, error: wire.data } satisfies UnpackReply);
    },
  );
});
