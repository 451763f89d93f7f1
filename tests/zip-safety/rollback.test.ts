/**
 * An update whose project does not load is discarded (it was verified by a fresh worker
 * before anything was swapped): the answer names the file and line at fault, the
 * previous project keeps working, the next update works. Real fixture projects
 * (tests/fixtures/bad-projects), a real worker loading them.
 */
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { fixtureZip } from '../helpers/zip.js';
import { expectOnlyBrokerFiles, expectRefused, installProbe, startZipBroker, type ErrorData } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  // Short deadlines so that an import that never finishes is given up on quickly (the load has start_timeout).
  t = await startZipBroker({ max_execution_time: 3, start_timeout: 5 });
  c = await t.connect();
  await installProbe(c, 'v1');
});
afterAll(async () => {
  await t?.close();
});

const current = () => readlinkSync(join(t.config.worker.storage_dir, 'current'));

// The two describes (a broker each) run side by side, each one's tests in order: both wait
// out a 5 s load deadline, and they wait for them at once.
const step = it.sequential;

describe.concurrent('a project that fails to load is discarded', () => {
  step('syntax error: E_PROJECT_LOAD naming the file and line', async () => {
    const before = current();
    const r = await expectRefused(t, c, fixtureZip('bad-projects/syntax-error'), 'E_PROJECT_LOAD', 'v1');
    expect(r.data).toMatchObject({ file: 'lib/broken.js', line: 6 });
    expect(r.message).toMatch(/SyntaxError/);
    expect(current()).toBe(before);
  });

  step('throws at import: E_PROJECT_LOAD naming the line that threw', async () => {
    const r = await expectRefused(t, c, fixtureZip('bad-projects/throws-at-import'), 'E_PROJECT_LOAD', 'v1');
    expect(r.data).toMatchObject({ file: 'lib/connect.js', line: 5 });
    expect(r.message).toMatch(/cannot reach robot\.local/);
  });

  step('a project in a top-level folder that throws: the file is relative to the project', async () => {
    const r = await expectRefused(t, c, fixtureZip('bad-projects/throws-at-import', 'my-robot/'), 'E_PROJECT_LOAD', 'v1');
    expect(r.data).toMatchObject({ file: 'lib/connect.js', line: 5 });
  });

  step('process.exit at import: E_PROJECT_LOAD naming the entry module', async () => {
    const r = await expectRefused(t, c, fixtureZip('bad-projects/exit-at-import'), 'E_PROJECT_LOAD', 'v1');
    expect((r.data as ErrorData).file).toBe('main.js');
  });

  step('an import that never finishes: E_PROJECT_LOAD caused by E_TIMEOUT', async () => {
    // The load deadline (5 s, sent whole and in pieces) and a loaded machine: the ack may take a while.
    const r = await expectRefused(t, c, fixtureZip('bad-projects/hangs-at-import'), 'E_PROJECT_LOAD', 'v1', 45_000);
    expect(r.data).toMatchObject({ file: 'main.mjs', cause: 'E_TIMEOUT' });
  });

  step('no entry module: E_NO_ENTRY before anything is swapped', async () => {
    const before = current();
    await expectRefused(t, c, fixtureZip('bad-projects/no-entry'), 'E_NO_ENTRY', 'v1');
    expect(current()).toBe(before);
  });

  step('the same bad project twice in a row still leaves the same good one', async () => {
    for (let i = 0; i < 2; i++) await expectRefused(t, c, fixtureZip('bad-projects/throws-at-import'), 'E_PROJECT_LOAD', 'v1');
  });

  step('every failed load was logged as discarded, with the upload\'s request id', async () => {
    const discarded = () => t.logLines().filter((l) => l.msg === 'new project failed to load: discarded');
    const refused = () => new Set(t.logLines().filter((l) => l.command === 'update' && l.outcome === 'error').map((l) => l.reqId));
    // The log thread writes the last update's lines a moment after its ack.
    await waitFor(() => discarded().length >= 6 && discarded().every((l) => refused().has(l.reqId)), 10_000, 'the discarded loads and their refusals in the log');
    const seen = refused();
    for (const l of discarded()) expect(seen).toContain(l.reqId);
  });

  step('after all of them: start answers with the previous project, the next update works, and storage is clean', async () => {
    const s = await call<{ objects: Record<string, string[]> }>(c, 'start', {});
    expect(s).toMatchObject({ status: 'success', data: { entry: 'main.js' } });
    expect((s.data as { objects: Record<string, string[]> }).objects.probe?.sort()).toEqual(['add', 'version']);
    await installProbe(c, 'v2');
    await expectOnlyBrokerFiles(t);
    // After a good update, a bad one still leaves the good one current.
    const r = await expectRefused(t, c, fixtureZip('bad-projects/syntax-error'), 'E_PROJECT_LOAD', 'v2');
    expect(r.data).toMatchObject({ file: 'lib/broken.js' });
    expect((await callMethod(c, 'probe', 'version')).data).toBe('v2');
  });
});

/**
 * The worker that tried to load is wedged in an endless loop: it is killed at the load
 * deadline, and the worker that served before was never touched.
 */
describe.concurrent('a project that wedges the worker while it loads', () => {
  let w: TestBroker;
  let wc: Client;
  beforeAll(async () => {
    w = await startZipBroker({ max_execution_time: 3, start_timeout: 5 });
    wc = await w.connect();
    await installProbe(wc, 'v1');
  });
  afterAll(async () => {
    await w?.close();
  });

  step('an endless loop at import: E_PROJECT_LOAD, the previous project is back, the next update works', async () => {
    // A load deadline and a kill: give a loaded machine room.
    const r = await expectRefused(w, wc, fixtureZip('bad-projects/loops-at-import'), 'E_PROJECT_LOAD', 'v1', 45_000);
    expect((r.data as ErrorData).file).toBe('main.js');
    await installProbe(wc, 'v2');
    await expectOnlyBrokerFiles(w);
  }, 90_000);
});
