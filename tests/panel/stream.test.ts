/**
 * A fast stream: 1,000 events/s for 3 s. The panel must count every event that
 * arrives, keep the DOM capped, and keep drawing frames (no freeze), because it
 * renders in batches on animation frames instead of once per event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { callFromPanel, launchBrowser, openPanel, waitForConnection, watchErrors } from './browser.js';
import { roverZip } from './robots.js';

let t: TestBroker;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestBroker(), launchBrowser()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

// A browser on a shared 2-core machine: room beyond the suite's 30 s per test.
describe('a fast event stream', { timeout: 60_000 }, () => {
  it('keeps up with 1,000 events/s without freezing', async () => {
    const errors = watchErrors(page);
    await openPanel(page, t.url, t.token);
    await waitForConnection(page, 'connected');
    await page.setInputFiles('#zip-input', { name: 'rover.zip', mimeType: 'application/zip', buffer: roverZip() });
    await page.waitForSelector('#upload-status[data-phase="done"]', { timeout: 20_000 });
    await page.click('#start-btn');
    await page.waitForSelector('.method[data-method="Flood"]');

    // Frame gaps while the flood runs: a page that renders per event stops drawing.
    await page.evaluate(() => {
      const w = window as unknown as { gaps: number[] };
      w.gaps = [];
      let last = performance.now();
      const tick = (now: number) => {
        w.gaps.push(now - last);
        last = now;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await callFromPanel(page, 'rover', 'Flood', '{"per_second": 1000, "seconds": 3}');
    await page.waitForSelector('#event-log li[data-name="flood_done"]', { timeout: 20_000 });

    const sent = JSON.parse((await page.textContent('#event-log li[data-name="flood_done"] .ev-data'))!).sent as number;
    expect(sent).toBe(3000);
    const counted = await page.evaluate(() => Number(document.querySelector('#event-chips .chip[data-name="flood"] .chip-n')?.textContent?.replace(/,/g, '')));
    const shedNote = await page.textContent('#shed-note');
    // Every event that arrived is counted; any the broker shed is reported, never silent.
    if (counted < sent) expect(shedNote).toContain('shed');
    else expect(counted).toBe(sent);

    expect(await page.locator('#event-log li').count()).toBeLessThanOrEqual(300);
    const gaps = await page.evaluate(() => (window as unknown as { gaps: number[] }).gaps);
    gaps.sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    const worst = gaps[gaps.length - 1]!;
    // Generous bounds (CI shares 2 cores): a frozen page misses them by seconds.
    expect(median).toBeLessThan(100);
    expect(worst).toBeLessThan(2000);

    // The plot took the stream, downsampled: a bounded number of points. 3 s at one
    // point per step (100 ms in the 2-min window) is ~30. The stream is over and
    // sampled, so this is one redraw away: a plot that is stuck fails fast here.
    await page.selectOption('#plot-event', 'flood');
    await page.waitForFunction(() => Number(document.getElementById('plot')?.dataset.points) > 10, undefined, { timeout: 10_000 });
    expect(Number(await page.getAttribute('#plot', 'data-points'))).toBeLessThanOrEqual(1300);

    // Still responsive: a call goes through at once.
    expect(await callFromPanel(page, 'rover', 'Add', '[1, 2]')).toContain('✓');
    await waitFor(async () => (await page.textContent('#result-body')) === '3', 5000, 'the result');
    expect(errors).toEqual([]);
  });
});
