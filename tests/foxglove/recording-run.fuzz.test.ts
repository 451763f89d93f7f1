/**
 * The recorder's queue (RecordingRun, main thread) and its writer thread together, as a
 * property: whatever records are offered (any JSON, texts short and long, ASCII or not,
 * characters on either side of 0x7f), the finished file holds each one's data, topic and
 * time as offered, in order. The queue writes short ASCII texts by hand and everything else
 * with the UTF-8 encoder; a byte written wrong either way shows here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordingRun } from '../../dist/server/recording/recording-run.js';
import { WriterThread } from '../../dist/server/recording/writer.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { ns, readMcap } from './mcap.js';

let dir: string;
let writer: WriterThread;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rc-recording-run-'));
  writer = new WriterThread();
});
afterAll(async () => {
  await writer.terminate();
  rmSync(dir, { recursive: true, force: true });
});

/** Texts made of characters around the ASCII boundary, of lengths around the hand-written limit. */
const edgeText = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u007f', '\u0080', 'é', '€', '😀'), minLength: 0, maxLength: 80 });

const record = fc.record({
  topic: fc.constantFrom('tick', 'odometry', 'note'),
  at: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_500 }),
  data: fc.oneof(fc.jsonValue({ maxDepth: 2 }), edgeText, fc.string({ unit: 'grapheme', maxLength: 100 }), fc.integer(), fc.double()),
});

it('writes every offered record as it was offered', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 200 }), async (records) => {
      const run = new RecordingRun(
        writer,
        { dir, base: `r${n++}`, maxBytes: 1 << 30, chunkBytes: 64 * 1024, session: { started_at: new Date().toISOString(), reason: 'test' } },
        1 << 30,
        () => {},
      );
      await run.ready();
      for (const r of records) run.offer({ topic: r.topic, source: 'robot', at: r.at, data: r.data });
      await run.finish({});
      expect(run.error).toBeNull();
      const { messages } = await readMcap(run.file!);
      // The reader sorts by log time, ties in write order.
      const expected = records.map((r, i) => ({ r, i })).sort((a, b) => a.r.at - b.r.at || a.i - b.i).map(({ r }) => r);
      expect(messages.map((m) => ({ topic: m.topic, logTime: m.logTime, data: m.data }))).toEqual(
        expected.map((r) => ({ topic: r.topic, logTime: ns(r.at), data: JSON.parse(JSON.stringify(r.data) ?? 'null') })),
      );
    }),
    fuzzParams(40),
  );
});
