/** The unpack thread's body (see unpack-thread.ts): unpack, then post the result or the coded error. */
import { parentPort, workerData } from 'node:worker_threads';
import { BrokerError } from '../../ipc/errors.js';
import { unpackZip, type UnpackLimits } from './unpack.js';
import type { UnpackReply } from './unpack-thread.js';

const { zip, target, limits } = workerData as { zip: Uint8Array; target: string; limits: UnpackLimits };

let reply: UnpackReply;
try {
  reply = { ok: true, result: await unpackZip(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), target, limits) };
} catch (err) {
  const wire = BrokerError.from(err).toWire();
  reply = { ok: false, message: wire.message, error: wire.data };
}
parentPort!.postMessage(reply);
