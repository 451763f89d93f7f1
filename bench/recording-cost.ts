/**
 * `node dist/bench/recording-cost.js [records]`: what recording costs per pushed event,
 * in this process: a RecordingRun with its writer thread fed `records` push records of
 * a small number each (what the bench's flood pushes), in batches of 1,000 with an
 * event-loop turn between. Prints, per round, the main thread's time in `offer` (what
 * the server's event loop pays) and the whole process's CPU (the writer thread's MCAP
 * encoding and zstd too) per record. The flood figure of `--only recording` is the same
 * cost seen from a client, with a round's noise on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingRun } from '../server/recording/recording-run.js';
import { WriterThread } from '../server/recording/writer.js';

const records = Number(process.argv[2] ?? 200_000);
const BATCH = 1000;
const writer = new WriterThread();
const dir = mkdtempSync(join(tmpdir(), 'rc-recording-cost-'));
try {
  for (let round = 1; round <= 3; round++) {
    const run = new RecordingRun(
      writer,
      { dir, base: `round-${round}`, maxBytes: 1 << 30, chunkBytes: 1 << 20, session: { started_at: new Date().toISOString(), reason: 'bench' } },
      1 << 30,
      () => {},
    );
    await run.ready();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const at = Date.now();
    let offerMs = 0;
    for (let k = 0; k < records; k += BATCH) {
      const t = performance.now();
      for (let i = k; i < Math.min(k + BATCH, records); i++) run.offer({ topic: 'tick', source: 'robot', at: at + (i >> 6), data: i });
      offerMs += performance.now() - t;
      await new Promise((r) => setImmediate(r));
    }
    await run.finish({});
    const used = process.cpuUsage(cpu);
    const perRecord = (us: number) => (us / records).toFixed(2);
    process.stdout.write(
      `round ${round}: ${records} records, ${run.messages} written, ${run.dropped} dropped; main thread in offer ${perRecord(offerMs * 1000)} µs/record; ` +
        `process CPU ${perRecord(used.user + used.system)} µs/record; ${Math.round(performance.now() - started)} ms\n`,
    );
  }
} finally {
  await writer.terminate();
  rmSync(dir, { recursive: true, force: true });
}
