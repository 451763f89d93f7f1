/**
 * The log thread routes lines without parsing them (server/observability/json-line.ts,
 * log-sink.ts): its answers must be JSON.parse's, for any line and any way the lines are
 * cut into chunks. Properties over generated JSON, and the sink writing real files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { onConsole } from '../../dist/server/console-log.js';
import { hasTopLevelString, topLevelNumber } from '../../dist/server/observability/json-line.js';
import logSink from '../../dist/server/observability/log-sink.js';
import { tempDir } from '../helpers/broker.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { inTempDir } from '../helpers/temp-dirs.js';

/** Keys that end like the ones routed on (`"channel` has the key's text after an escaped quote). */
const trickyKey = fc.constantFrom('channel', 'event', 'level', '"channel', 'x"event', '\\"level', '\\');
/** Values that look like the fields routed on: the same names and values, nested, inside strings, with quotes and braces. */
const tricky = fc.constantFrom('events', 'command', 'channel', 'event', '"channel":"events"', '{"event":"command"}', '\\', '"', '}', ',', 'é€');
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(trickyKey, fc.string({ maxLength: 4 })), tie('v'), { maxKeys: 4 }),
  ),
})).v;
const line = fc
  .tuple(fc.option(fc.integer({ min: 10, max: 60 }), { nil: undefined }), fc.array(fc.tuple(fc.oneof(trickyKey, fc.constantFrom('msg'), fc.string({ maxLength: 4 })), fc.oneof(value, fc.integer({ min: 0, max: 60 }))), { maxLength: 6 }))
  .map(([level, fields]) => {
    // Written by hand so duplicate keys survive (JSON.parse keeps the last), pino's level first when there is one.
    const parts = fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    return `{${[...(level === undefined ? [] : [`"level":${level}`]), ...parts].join(',')}}`;
  });

it('answers what JSON.parse says: top-level string and number fields, the console filter', () => {
  fc.assert(
    fc.property(line, (l) => {
      const parsed = JSON.parse(l) as Record<string, unknown>;
      expect(hasTopLevelString(l, 'channel', 'events')).toBe(parsed.channel === 'events');
      expect(hasTopLevelString(l, 'event', 'command')).toBe(parsed.event === 'command');
      expect(topLevelNumber(l, 'level')).toBe(typeof parsed.level === 'number' ? parsed.level : undefined);
      const shown = parsed.event !== 'command' || (typeof parsed.level === 'number' && parsed.level >= 40);
      expect(onConsole(l)).toBe(shown);
    }),
    fuzzParams(3000),
  );
});

it('writes every line to the whole log and the channel lines to their own, however the chunks are cut', { timeout: 60_000 }, async () => {
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 8 }), async (lines, cuts) => {
      await inTempDir('rc-log-sink-', async (dir) => {
        const all = join(dir, `app-${round}.log`);
        const events = join(dir, `events-${round++}.log`);
        const sink = await logSink({ all: { file: all, maxSize: 1 << 30, maxFiles: 1 }, channel: { name: 'events', file: events, maxSize: 1 << 30, maxFiles: 1 } });
        const text = lines.map((l) => `${l}\n`).join('');
        const at = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...at, text.length]) {
          sink.write(text.slice(from, to));
          from = to;
        }
        await new Promise<void>((resolve) => sink.end(resolve));
        expect(readFileSync(all, 'utf8')).toBe(text);
        const wanted = lines.filter((l) => (JSON.parse(l) as { channel?: unknown }).channel === 'events');
        expect(readFileSync(events, 'utf8')).toBe(wanted.map((l) => `${l}\n`).join(''));
      });
    }),
    fuzzParams(200),
  );
});

it('passes max_size by one line at most when a batch would carry the file past it', async () => {
  const dir = tempDir('rc-log-sink-rotate-');
  const file = join(dir, 'app.log');
  const sink = await logSink({ all: { file, maxSize: 1000, maxFiles: 3 } });
  const lines = Array.from({ length: 30 }, (_, i) => `${JSON.stringify({ level: 30, i, pad: 'é'.repeat(40) })}\n`);
  sink.write(lines.join('')); // one batch, about three files' worth
  await new Promise<void>((resolve) => sink.end(resolve));
  const longest = Math.max(...lines.map((l) => Buffer.byteLength(l)));
  const kept = [`${file}.3`, `${file}.2`, `${file}.1`, file].map((f) => readFileSync(f, 'utf8'));
  for (const f of kept.slice(0, 3)) {
    expect(Buffer.byteLength(f)).toBeGreaterThanOrEqual(1000);
    expect(Buffer.byteLength(f)).toBeLessThan(1000 + longest);
  }
  expect(kept.join('')).toBe(lines.slice(-kept.join('').split('\n').length + 1).join(''));
});
