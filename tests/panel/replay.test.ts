/**
 * The panel across a dropped link (docs/REPLAY.md, docs/PANEL.md): it keeps the highest
 * seq it got and hands it back on every reconnect, so what the robot pushed meanwhile
 * arrives once and in order; what the broker could no longer keep is marked in the
 * events log and the plot. The panel observes here, beside a script driving a robot
 * that pushes numbered events, so every push is the test's to make.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { call, callMethod, collect, gateConnections, startTestBroker, waitFor, type Client, type ConnectionGate, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { launchBrowser, openPanel, waitForConnection, watchErrors } from './browser.js';

const ROBOT = `exports.robot = {
  burst(from, n) { for (let i = from; i < from + n; i++) pushMessage('n', { i, level: Math.sin(i / 8) }); return n; },
};`;

/** The replay ring keeps 20 events: 15 missed come back, 50 missed leave a gap of 30. */
const RING = 20;

let t: TestBroker;
let browser: Browser;
let page: Page;
let errors: string[];
let driver: Client;
let pushed: Array<{ i: number }>;
/** While refusing, the broker refuses new connections: the panel stays disconnected. A refused request may leave one console error in the browser. */
let gate: ConnectionGate;
/** What a refused request logs: engine.io answers 400 to a WebSocket handshake and 403 to polling. */
const REFUSAL = /WebSocket handshake: Unexpected response code: 400|status of 403 \(Forbidden\)/;

/** The console errors left once those of the refused requests are taken out (at most one per refusal). */
function unexpected(errs: string[]): string[] {
  let allowed = gate.refused;
  return errs.filter((e) => !(REFUSAL.test(e) && allowed-- > 0));
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestBroker({ replay: { max_events: RING } }), launchBrowser()]);
  gate = gateConnections(t.broker);
  driver = await t.connect();
  pushed = collect<{ i: number }>(driver, 'n');
  expect((await call(driver, 'update', { data: zipFiles({ 'main.js': ROBOT }) })).status).toBe('success');
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors = watchErrors(page);
  await openPanel(page, t.url, t.token);
  await waitForConnection(page, 'connected', 20_000);
  await page.waitForSelector('#lease-pill[data-role="observer"]', { timeout: 20_000 });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function burst(from: number, n: number): Promise<void> {
  expect((await callMethod(driver, 'robot', 'burst', [from, n])).status).toBe('success');
  // The driver got them: they are in the broker's ring.
  await waitFor(() => pushed.some((d) => d.i === from + n - 1), 20_000, `event ${from + n - 1} at the driver`);
}

/** Drop the panel's connection and push `n` events while it cannot come back; then let it. */
async function missWhileDown(from: number, n: number): Promise<void> {
  gate.refusing = true;
  for (const s of t.broker.io.of('/').sockets.values()) if (s.id !== driver.id) s.conn.close();
  await waitForConnection(page, 'reconnecting', 20_000);
  await burst(from, n);
  gate.refusing = false;
  // Its own backoff brings it back (at most 10 s apart; a loaded machine adds to that).
  await waitForConnection(page, 'connected', 30_000);
}

/** The events log from oldest to newest: `n` rows as their `i`, broker notices as their text. */
async function logRows(): Promise<Array<number | string>> {
  return page.$$eval('#event-log li', (lis) =>
    lis.reverse().map((li) => {
      const text = li.querySelector('.ev-data')?.textContent ?? '';
      return (li as HTMLElement).dataset.name === 'n' ? (JSON.parse(text) as { i: number }).i : `${(li as HTMLElement).dataset.name}: ${text}`;
    }),
  );
}

const chipCount = () => page.evaluate(() => Number(document.querySelector('#event-chips .chip[data-name="n"] .chip-n')?.textContent?.replace(/,/g, '') ?? 0));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

// A browser and a broker on a shared 2-core machine: room beyond the suite's 30 s per test.
describe('the panel across a dropped connection', { timeout: 120_000 }, () => {
  it('gets what was pushed while it was away: every event once, in order', async () => {
    await burst(1, 30);
    await waitFor(async () => (await chipCount()) === 30, 20_000, 'the panel to count 30 live events');
    await missWhileDown(31, 15);
    await burst(46, 15);
    await waitFor(async () => (await chipCount()) >= 60, 20_000, 'the panel to count 60 events');

    const rows = await logRows();
    expect(rows.filter((r) => typeof r === 'number')).toEqual(range(1, 60));
    expect(await chipCount()).toBe(60);
    expect(rows.some((r) => typeof r === 'string' && r.startsWith('replay_gap'))).toBe(false);
    // The replay is announced where it starts: after the reconnect, before event 31.
    const note = rows.findIndex((r) => r === 'replay_info: replaying 15 missed events');
    expect(note).toBeGreaterThan(rows.indexOf(30));
    expect(note).toBeLessThan(rows.indexOf(31));
    expect(await page.getAttribute('#plot', 'data-gaps')).toBe('0');
  });

  it('marks what the broker could no longer keep, in the log and the plot; the next reconnect starts where the last one ended', async () => {
    // 50 pushed while away, the ring keeps the newest 20: events 61..90 are lost.
    await missWhileDown(61, 50);
    await burst(111, 20);
    await waitFor(async () => (await chipCount()) >= 100, 20_000, 'the panel to count 100 events');

    const rows = await logRows();
    expect(rows.filter((r) => typeof r === 'number')).toEqual([...range(1, 60), ...range(91, 130)]);
    expect(await chipCount()).toBe(100);
    const gaps = rows.filter((r): r is string => typeof r === 'string' && r.startsWith('replay_gap'));
    expect(gaps).toHaveLength(1);
    const [, from, to] = /^replay_gap: ⚠ events #(\d+)–#(\d+) lost \(evicted\)$/.exec(gaps[0]!) ?? [];
    expect(Number(to) - Number(from) + 1).toBe(30);
    // Between the last event it had and the first it got back.
    const at = rows.indexOf(gaps[0]!);
    expect(at).toBeGreaterThan(rows.indexOf(60));
    expect(at).toBeLessThan(rows.indexOf(91));
    expect(rows).toContain(`replay_info: replaying ${RING} missed events`);
    await page.waitForSelector('#event-log li.alert[data-name="replay_gap"]');
    await page.waitForFunction(() => document.getElementById('plot')?.dataset.gaps === '1', undefined, { timeout: 10_000 });
    expect(unexpected(errors)).toEqual([]);
  });

  it('watch mode (/monitor replays nothing) marks the events it missed', async () => {
    const watcher = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const watchErrs = watchErrors(watcher);
    await openPanel(watcher, t.url, t.token, '&watch=1');
    await waitForConnection(watcher, 'connected', 20_000);
    await burst(131, 5);
    await waitFor(async () => (await watcher.locator('#event-log li[data-name="n"]').count()) === 5, 20_000, 'the watcher to show 5 events');
    gate.refusing = true;
    for (const s of t.broker.io.of('/monitor').sockets.values()) s.conn.close();
    await waitForConnection(watcher, 'reconnecting', 20_000);
    await burst(136, 10);
    gate.refusing = false;
    await waitForConnection(watcher, 'connected', 30_000);
    await burst(146, 5);
    await watcher.waitForSelector('#event-log li.alert[data-name="replay_gap"]', { timeout: 20_000 });
    const text = await watcher.textContent('#event-log li[data-name="replay_gap"] .ev-data');
    const [, from, to] = /^⚠ events #(\d+)–#(\d+) missed \(watch mode does not replay\)$/.exec(text ?? '') ?? [];
    expect(Number(to) - Number(from) + 1, text ?? '').toBe(10);
    await waitFor(async () => (await watcher.locator('#event-log li[data-name="n"]').count()) === 10, 20_000, 'the watcher to show 10 events');
    expect(unexpected(watchErrs)).toEqual([]);
    await watcher.close();
  });
});
