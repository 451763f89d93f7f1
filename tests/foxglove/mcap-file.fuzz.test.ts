/**
 * The recording's MCAP writer against @mcap/core's own readers, as a property: whatever
 * messages go in (any JSON, any Unicode, any topic, times in any order, chunks of any
 * size, incompressible data) come back from McapIndexedReader, CRCs checked, in time
 * order, and from McapStreamReader record by record, in write order, with the summary's
 * counts and time range right.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import zstd from '@foxglove/wasm-zstd';
import { McapStreamReader } from '@mcap/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { McapFile } from '../../dist/server/recording/mcap-file.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { ns, readMcap } from './mcap.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-mcap-'));
  await zstd.isLoaded;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = fc.record({
  topic: fc.oneof(fc.constantFrom('odometry', '/ack', 'worker_status'), fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' })),
  at: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
  data: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('base64'))),
});

it('writes what McapIndexedReader and McapStreamReader read back', { timeout: 90_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(record, { maxLength: 300 }), fc.constantFrom(256, 4096, 65536), fc.boolean(), async (records, chunkBytes, withMetadata) => {
      const path = join(dir, `f${n++}.mcap`);
      const file = await McapFile.create(path, chunkBytes);
      // A channel has one source (its first message's), as in a session.
      const written = records.map((r) => ({ ...r, source: r.topic.startsWith('/') ? 'broker' : 'robot', json: JSON.stringify(r.data) }));
      // Laid out as the recorder's batches are: the UTF-8 texts end to end, and where each ends.
      const texts = written.map((r) => Buffer.from(r.json, 'utf8'));
      let end = 0;
      const batch = { data: Buffer.concat(texts), ends: Uint32Array.from(texts, (t) => (end += t.length)) };
      for (const [i, r] of written.entries()) {
        file.addFrom(batch, i, r.topic, r.source, r.at);
        if (file.chunkFull) await file.flushChunk();
        if (withMetadata && i === 5) await file.metadata('robot-control.drops', { count: 1, total: 1 });
      }
      await file.close();

      const { reader, messages, metadata } = await readMcap(path);
      // Time order, ties in write order (the reader sorts by log time, then by position).
      const expected = written.map((r, i) => ({ r, i })).sort((a, b) => a.r.at - b.r.at || a.i - b.i).map(({ r }) => r);
      expect(messages.map((m) => ({ topic: m.topic, source: m.source, logTime: m.logTime, data: m.data }))).toEqual(
        expected.map((r) => ({ topic: r.topic, source: r.source, logTime: ns(r.at), data: JSON.parse(r.json) })),
      );
      expect(Number(reader.statistics!.messageCount)).toBe(records.length);
      if (records.length > 0) {
        expect(reader.statistics!.messageStartTime).toBe(ns(Math.min(...records.map((r) => r.at))));
        expect(reader.statistics!.messageEndTime).toBe(ns(Math.max(...records.map((r) => r.at))));
      }
      expect(metadata.length).toBe(withMetadata && records.length > 5 ? 1 : 0);

      // Record by record, as a stream: every message in write order, sequence numbers 1, 2, 3...
      const stream = new McapStreamReader({ decompressHandlers: { zstd: (b, size) => zstd.decompress(b, Number(size)) } });
      stream.append(readFileSync(path));
      const seen: number[] = [];
      for (let rec; (rec = stream.nextRecord()); ) if (rec.type === 'Message') seen.push(rec.sequence);
      expect(stream.done()).toBe(true);
      expect(seen).toEqual(records.map((_, i) => i + 1));
      rmSync(path);
    }),
    { ...fuzzParams(150), interruptAfterTimeLimit: 30_000 },
  );
});
