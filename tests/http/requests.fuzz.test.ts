/**
 * HTTP, fuzzed: request lines (methods, targets with broken escapes and absolute
 * forms, versions), headers (the ones the broker and engine.io read, and random
 * ones, with bad values, bare LFs, huge ones), bodies and plain garbage, written
 * raw over a net.Socket to the real server process (no client library in between
 * to tidy them up). Every answer is well-formed and never a 5xx; after every batch
 * /health answers, a real Socket.IO `process` call works, and the process is the
 * one started. `npm test` runs a few thousand requests within a bounded time,
 * `npm run fuzz` FUZZ_RUNS of them (a failure prints the seed: FUZZ_SEED replays it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callMethod, connectClient, waitForFreeSlot, type Client } from '../helpers/broker.js';
import { fuzzParams, fuzzRuns, soaking } from '../helpers/fuzz.js';
import { requestBytes } from './request-arbitraries.js';
import { rawRequest, request, SERVER_START_MS, startServerProcess, type ServerProcess } from './raw-http.js';

/** Requests in npm test (npm run fuzz: FUZZ_RUNS), sent BATCH at a time, concurrently. */
const CASES_IN_TEST = 2000;
const BATCH = 4;
/** Batches between two full checks (/health, a process call). */
const CHECK_EVERY = 25;

let s: ServerProcess;
let client: Client;
beforeAll(async () => {
  s = await startServerProcess();
  client = await connectClient(s.url, { token: s.token });
}, SERVER_START_MS);
afterAll(async () => {
  client?.close();
  await s?.stop();
});

async function stillServing(): Promise<void> {
  expect(s.alive(), `the server process exited:\n${s.output()}`).toBe(true);
  const health = await rawRequest(s.port, request('GET', '/health'));
  expect(health.status, health.raw.slice(0, 300)).toBe(200);
  expect(client.connected).toBe(true);
  expect((await callMethod(client, 'sport_client', 'GetStatus')).status).toBe('success');
}

it('any request: a well-formed 1xx-4xx answer or a closed connection, and the broker serves on', { timeout: soaking ? 3_600_000 : 60_000 }, async () => {
  let cases = 0;
  let batches = 0;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(requestBytes, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      // Half-close soon when nothing comes: a half-sent request then ends at once (400 or a close).
      const answers = await Promise.all(batch.map(({ bytes }) => rawRequest(s.port, bytes, { halfCloseAfterMs: 20, timeoutMs: 5000, closeAfterAnswerMs: 0 })));
      expect(s.alive(), `the server process exited:\n${s.output()}`).toBe(true);
      for (const r of answers) {
        if (r.raw.length > 0) expect(r.status, `not an HTTP answer: ${JSON.stringify(r.raw.slice(0, 200))}`).not.toBeNull();
        if (r.status !== null) expect(r.status, `a server error:\n${r.raw.slice(0, 400)}`).toBeLessThan(500);
      }
      cases += batch.length;
      if (++batches % CHECK_EVERY === 0) await stillServing();
    }),
    // Cases are requests: FUZZ_RUNS requests make FUZZ_RUNS / BATCH runs of the property.
    { ...fuzzParams(CASES_IN_TEST), numRuns: Math.ceil(fuzzRuns(CASES_IN_TEST) / BATCH), plugins: soaking ? [] : [fc.interruptAfterTimeLimit(15_000)] },
  );
  await stillServing();
  // A new client gets in too (the one above is let go first: one controller at a time).
  client.close();
  await waitForFreeSlot(s.url, s.token);
  // Nothing failed inside: no request was answered by the error handler's 500.
  const log = readFileSync(join(s.dir, 'logs', 'app.log'), 'utf8');
  expect(log).not.toContain('HTTP request failed');
  process.stdout.write(`http fuzz: ${cases} requests in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  // The count is bounded by time in npm test: on a loaded machine fewer requests run, never none.
  expect(cases).toBeGreaterThan(0);
});

