/**
 * The unpack thread's body (see unpack-thread.ts): a whole upload unpacked, or one
 * arriving in pieces kept here, unpacked ahead and then finished; then its result or
 * its coded error posted back.
 */
import AdmZip from 'adm-zip';
import { createWriteStream } from 'node:fs';
import { devNull } from 'node:os';
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { BrokerError } from '../../ipc/errors.js';
import { inflateData, planEntries, unpackZip, type UnpackResult } from './unpack.js';
import { UnpackAhead } from './unpack-ahead.js';
import type { UnpackJob, UnpackReply } from './unpack-thread.js';

/** Uploads being unpacked ahead, by id. */
const ahead = new Map<number, UnpackAhead>();

const bufferOf = (zip: Uint8Array): Buffer => Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);

parentPort!.on('message', (job: UnpackJob) => {
  switch (job.type) {
    case 'open':
      ahead.set(job.id, new UnpackAhead(job.total, job.target, job.limits));
      return;
    case 'piece':
      ahead.get(job.id)?.arrived(bufferOf(job.data));
      return;
    case 'abandon':
      void ahead
        .get(job.id)
        ?.abandon()
        .catch(() => {}); // what is left, the next start's cleanup of .staging removes
      ahead.delete(job.id);
      return;
    case 'unpack':
    case 'finish':
      unpack(job).then(
        (result) => parentPort!.postMessage({ id: job.id, ok: true, result } satisfies UnpackReply),
        (err: unknown) => {
          const wire = BrokerError.from(err).toWire();
          parentPort!.postMessage({ id: job.id, ok: false, message: wire.message, error: wire.data } satisfies UnpackReply);
        },
      );
  }
});

async function unpack(job: Extract<UnpackJob, { type: 'unpack' | 'finish' }>): Promise<UnpackResult> {
  if (job.type === 'unpack') return unpackZip(bufferOf(job.zip), job.target, job.limits);
  const a = ahead.get(job.id);
  ahead.delete(job.id);
  if (!a) {
    // Opened in a thread that has since been replaced (another job overran its deadline): its pieces went with it.
    throw new BrokerError('E_INTERNAL', 'the upload was lost: the unpack thread was restarted while it arrived; send it again');
  }
  return a.finish();
}

/**
 * A new thread plans and inflates a small archive once, into the null device (nothing is
 * written anywhere), so that the first upload runs on code V8 has already compiled: a
 * fresh thread's first unpack of a one-file project took 24-30 ms, the next ones 4-11 ms;
 * after this, the first 8-11 ms. Jobs arriving meanwhile run beside it.
 */
async function warmUp(): Promise<void> {
  const zip = new AdmZip();
  zip.addFile('main.js', Buffer.from('exports.robot = { hello: () => "hello" };\n'.repeat(50)));
  zip.addFile('lib/data.txt', Buffer.from('warm'));
  for (const { entry, dir } of planEntries(zip.toBuffer(), { maxUnpackedBytes: 1 << 20, maxEntries: 10 })) {
    if (!dir) await inflateData(Readable.from([entry.getCompressedData()]), entry, createWriteStream(devNull), true);
  }
}
void warmUp().catch(() => {}); // only ever a slower first upload
