/**
 * The recordings' writer thread (worker_threads): for each recording (`open` ... `close`)
 * it writes the batches it receives to MCAP files, starting a new part past `maxBytes`.
 * Messages are handled strictly in order, each one finished (a full chunk written) before
 * the next. A write that fails (disk full, folder gone) is reported once as `failed`; what is
 * on disk stays, and the rest of that recording is ignored until the next `open`.
 */
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { METADATA } from './format.js';
import { McapFile } from './mcap-file.js';
import type { FromWriter, ToWriter, WriterSetup } from './writer-protocol.js';

const port = parentPort!;

/** The recording being written. */
interface Recording {
  id: number;
  setup: WriterSetup;
  files: string[];
  file: McapFile | null;
  messages: number;
  /** Bytes in its files already closed. */
  closedBytes: number;
  failed: boolean;
  /** Topics by the numbers the recorder gave them. */
  topics: Array<{ topic: string; source: string }>;
}

let r: Recording | null = null;
let chain: Promise<void> = Promise.resolve();

function post(m: FromWriter): void {
  port.postMessage(m);
}

async function openPart(rec: Recording): Promise<McapFile> {
  const part = rec.files.length + 1;
  const path = join(rec.setup.dir, part === 1 ? `${rec.setup.base}.mcap` : `${rec.setup.base}-${part}.mcap`);
  const f = await McapFile.create(path, rec.setup.chunkBytes);
  rec.files.push(path);
  await f.metadata(METADATA.session, { ...rec.setup.session, part });
  return f;
}

async function handle(m: ToWriter, rec: Recording): Promise<void> {
  if (m.type === 'open') {
    rec.file = await openPart(rec);
    post({ id: rec.id, type: 'opened', file: rec.file.path });
    return;
  }
  const file = rec.file;
  if (rec.failed || !file) return;
  switch (m.type) {
    case 'batch': {
      for (const t of m.topics) rec.topics[t.id] = t;
      const encoded = { data: Buffer.from(m.data), ends: m.ends };
      for (let i = 0; i < m.count; i++) {
        const t = rec.topics[m.topicIds[i]!]!;
        file.addFrom(encoded, i, t.topic, t.source, m.at[i]!);
        if (file.chunkFull) await file.flushChunk();
      }
      rec.messages += m.count;
      let current = file;
      if (file.bytes >= rec.setup.maxBytes) {
        rec.file = null;
        await file.close();
        rec.closedBytes += file.bytes;
        rec.file = current = await openPart(rec);
        post({ id: rec.id, type: 'rotated', file: current.path });
      }
      post({ id: rec.id, type: 'written', cost: m.cost, messages: rec.messages, bytes: rec.closedBytes + current.bytes });
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
    case 'close':
      rec.file = null;
      await file.metadata(METADATA.summary, { ...m.summary, messages: rec.messages });
      await file.close();
      post({ id: rec.id, type: 'closed', files: rec.files, messages: rec.messages, bytes: rec.closedBytes + file.bytes });
      return;
  }
}

function fail(rec: Recording, err: unknown): void {
  if (rec.failed) return;
  rec.failed = true;
  const e = err as NodeJS.ErrnoException;
  post({ id: rec.id, type: 'failed', message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : null });
  void rec.file?.abandon();
  rec.file = null;
}

port.on('message', (m: ToWriter) => {
  if (m.type === 'open') r = { id: m.id, setup: m.setup, files: [], file: null, messages: 0, closedBytes: 0, failed: false, topics: [] };
  const rec = r;
  if (!rec) return;
  chain = chain.then(() => handle(m, rec)).catch((err: unknown) => fail(rec, err));
});
