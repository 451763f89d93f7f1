/**
 * The unpack thread's body (see unpack-thread.ts): a whole upload unpacked, or one
 * arriving in pieces kept here, unpacked ahead and then finished; then its result or
 * its coded error posted back.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type AdmZipModule from 'adm-zip';
import { requireCjs } from '../../ipc/cjs.js';
import { BrokerError } from '../../ipc/errors.js';
import { unpackZip, type UnpackResult } from './unpack.js';
import { UnpackAhead } from './unpack-ahead.js';
import type { UnpackJob, UnpackReply, UnpackThreadData } from './unpack-thread.js';

const AdmZip = requireCjs('adm-zip') as typeof AdmZipModule;

/** Uploads being unpacked ahead, by id. */
const ahead = new Map<number, UnpackAhead>();

const bufferOf = (zip: Uint8Array): Buffer => Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);

parentPort!.on('message', (job: UnpackJob) => {
  switch (job.type) {
    case 'stop':
      // From here, between two steps of the work: no zlib stream is half made (unpack-thread.ts).
      process.exit(0);
      return;
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
 * A new thread unpacks a small archive, whole and in pieces, into the folder it was given
 * (UnpackThreadData; the server removes it too should the thread end first), then removes
 * it, so that the first upload runs on code V8 has already compiled, the writing included.
 * The first unpack of the bench's small project by a fresh thread (`node
 * dist/bench/unpack-first.js --other-dist <the build before>`, medians over 5 and 7
 * threads): whole 8.4 ms against 10.3-11.5 when this only planned and inflated into the
 * null device, in pieces 7.0-8.2 against 12.2-13.1; the later ones 5-9 ms either way. A
 * thread is fresh at start and after every idle spell (unpack-thread.ts), so this is the
 * first update after a pause. Jobs arriving meanwhile run beside it.
 */
async function rehearse(dir: string): Promise<void> {
  const zip = new AdmZip();
  zip.addFile('main.js', Buffer.from('exports.robot = { hello: () => "hello" };\n'.repeat(50)));
  zip.addFile('lib/data.txt', Buffer.from('warm'));
  const bytes = zip.toBuffer();
  const limits = { maxUnpackedBytes: 1 << 20, maxEntries: 10 };
  await mkdir(dir, { recursive: true });
  try {
    await unpackZip(bytes, join(dir, 'whole'), limits);
    // and as an upload in pieces is unpacked while it arrives
    const pieces = new UnpackAhead(bytes.length, join(dir, 'in-pieces'), limits);
    pieces.arrived(bytes.subarray(0, bytes.length >> 1));
    pieces.arrived(bytes.subarray(bytes.length >> 1));
    await pieces.finish();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
void rehearse((workerData as UnpackThreadData).rehearsal).catch(() => {}); // only ever a slower first upload
