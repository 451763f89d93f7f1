/**
 * The recording's writer thread (worker_threads): receives batches from the recorder and
 * writes them to MCAP files, one after another, starting a new part past `maxBytes`.
 * Messages are handled strictly in order (McapWriter needs each call finished before
 * the next). A write that fails (disk full, folder gone) is reported once as `failed`;
 * what is on disk stays, and the thread accepts nothing more.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { McapFile, METADATA } from './mcap-file.js';
import type { FromWriter, ToWriter, WriterSetup } from './writer-protocol.js';

const setup = workerData as WriterSetup;
const port = parentPort!;
const post = (m: FromWriter) => port.postMessage(m);

const files: string[] = [];
let file: McapFile | null = null;
let messages = 0;
/** Bytes in the files already closed. */
let closedBytes = 0;
let failed = false;
let chain: Promise<void> = Promise.resolve();

async function openPart(): Promise<McapFile> {
  const part = files.length + 1;
  const path = join(setup.dir, part === 1 ? `${setup.base}.mcap` : `${setup.base}-${part}.mcap`);
  const f = await McapFile.create(path, setup.chunkBytes);
  files.push(path);
  await f.metadata(METADATA.session, { ...setup.session, part });
  return f;
}

async function rotate(): Promise<void> {
  const old = file!;
  file = null;
  await old.close();
  closedBytes += old.bytes;
  file = await openPart();
  post({ type: 'rotated', file: file.path });
}

async function handle(m: ToWriter): Promise<void> {
  if (failed || !file) return;
  switch (m.type) {
    case 'batch': {
      for (let i = 0; i < m.topics.length; i++) {
        await file.add({ topic: m.topics[i]!, source: m.sources[i]!, at: m.at[i]!, json: m.json[i]! });
      }
      messages += m.topics.length;
      if (file.bytes >= setup.maxBytes) await rotate();
      post({ type: 'written', cost: m.cost, messages, bytes: closedBytes + file.bytes });
      return;
    }
    case 'drops':
      await file.metadata(METADATA.drops, {
        count: m.count,
        total: m.total,
        first_at: new Date(m.firstAt).toISOString(),
        last_at: new Date(m.lastAt).toISOString(),
      });
      return;
    case 'close': {
      const last = file;
      file = null;
      await last.metadata(METADATA.summary, { ...m.summary, messages });
      await last.close();
      post({ type: 'closed', files, messages, bytes: closedBytes + last.bytes });
      port.close();
      return;
    }
  }
}

function fail(err: unknown): void {
  if (failed) return;
  failed = true;
  const e = err as NodeJS.ErrnoException;
  post({ type: 'failed', message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : null });
  void file?.abandon();
  file = null;
}

port.on('message', (m: ToWriter) => {
  chain = chain.then(() => handle(m)).catch(fail);
});

chain = openPart().then(
  (f) => {
    file = f;
    post({ type: 'opened', file: f.path });
  },
  fail,
);
