/**
 * Getting in and staying in: the token prompt (none, wrong, pasted URL), observing
 * while another client holds the robot, and reconnecting with backoff when the
 * broker goes away and comes back on the same port.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { launchBrowser, openPanel, waitForConnection, waitForWorker, watchErrors } from './browser.js';

let t: TestBroker;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestBroker(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** A fresh tab (own sessionStorage, so its own client id). */
async function newTab(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  pages.push(page);
  return page;
}

async function closeTab(page: Page): Promise<void> {
  await page.context().close();
}

// A test that failed half-way leaves its tab open, and a connected tab holds the
// robot: close them, so one failure does not make the next test "busy".
afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.context().close().catch(() => {})));
});

/**
 * Wait for the banner's countdown. Waited for, not read once: while a retry is in
 * flight the banner says "Trying now…" instead, then the countdown again.
 */
async function bannerSays(page: Page, text: RegExp): Promise<void> {
  await page.waitForFunction((re) => new RegExp(re).test(document.getElementById('banner')?.textContent ?? ''), text.source, { timeout: 10_000 });
}

/**
 * Press "Retry now" on the banner. The other side (the broker, or the robot's
 * holder) is back by then, and the panel's own backoff may reconnect before the
 * click lands on a loaded machine: the banner and its button are then gone, rightly.
 * A click that cannot land is only fine in that case.
 */
async function retryNow(page: Page): Promise<void> {
  await page
    .locator('#banner button:has-text("Retry now")')
    .click({ timeout: 10_000 })
    .catch(async (err: unknown) => {
      if ((await page.getAttribute('#conn-pill', 'data-state')) !== 'connected') throw err;
    });
}

// A browser on a shared 2-core machine: room beyond the suite's 30 s per test.
describe('access', { timeout: 60_000 }, () => {
  it('without a token asks for one; a wrong one is refused; pasting the banner URL connects', async () => {
    const page = await newTab();
    const errors = watchErrors(page);
    await page.goto(`${t.url}/`);
    await page.waitForSelector('#token-dialog[open][data-reason="missing"]');
    expect(await page.textContent('#token-reason')).toContain('?token=');
    expect(await page.getAttribute('#conn-pill', 'data-state')).toBe('idle');

    await page.fill('#token-input', 'not-the-token');
    await page.click('#token-form button[type="submit"]');
    await waitForConnection(page, 'unauthorized');
    await page.waitForSelector('#token-dialog[open][data-reason="refused"]');
    expect(await page.evaluate(() => sessionStorage.getItem('robot-control.token'))).toBeNull();

    await page.fill('#token-input', `${t.url}/?token=${t.token}`);
    await page.click('#token-form button[type="submit"]');
    await waitForConnection(page, 'connected');
    await waitForWorker(page, 'ready');
    expect(await page.isVisible('#token-dialog')).toBe(false);
    expect(await page.evaluate(() => sessionStorage.getItem('robot-control.token'))).toBe(t.token);
    expect(errors).toEqual([]);
    await closeTab(page);
  });

  it('a wrong token in the URL is refused with the prompt, not a blank screen', async () => {
    const page = await newTab();
    await openPanel(page, t.url, 'wrong');
    await waitForConnection(page, 'unauthorized');
    await page.waitForSelector('#token-dialog[open][data-reason="refused"]');
    expect(page.url()).toBe(`${t.url}/`);
    await closeTab(page);
  });

  it('observes while another client holds the robot, says so, and takes control once it leaves', async () => {
    const holder = await t.connect({ clientId: 'someone-else' });
    const page = await newTab();
    try {
      await openPanel(page, t.url, t.token);
      await waitForConnection(page, 'connected');
      await page.waitForSelector('#lease-pill[data-role="observer"][data-controller="someone-else"]');
      expect(await page.textContent('#lease-bar')).toContain('You are observing.');
      expect(await page.isHidden('#banner')).toBe(true);
      expect(await page.isDisabled('#start-btn')).toBe(true);
      expect(await page.isDisabled('#zip-input')).toBe(true);
    } finally {
      holder.close();
    }
    await page.waitForSelector('#lease-pill[data-role="observer"][data-controller=""]', { timeout: 10_000 });
    expect(await page.textContent('#lease-bar')).toContain('Nobody controls the robot.');
    await page.click('#lease-bar button:has-text("Take control")');
    await page.waitForSelector('#lease-pill[data-role="controller"]');
    expect(await page.isHidden('#lease-bar')).toBe(true);
    expect(await page.isEnabled('#start-btn')).toBe(true);
    await closeTab(page);
  });

  it('reconnects with backoff when the broker goes away and comes back', async () => {
    const page = await newTab();
    await openPanel(page, t.url, t.token);
    await waitForConnection(page, 'connected');
    const port = t.broker.port;
    await t.close();
    await waitForConnection(page, 'reconnecting', 15_000);
    await page.waitForSelector('#banner[data-kind="reconnecting"]', { timeout: 15_000 });
    await bannerSays(page, /attempt \d+, next try in \d+ s/);
    expect(await page.getAttribute('#worker-pill', 'class')).toContain('stale');

    t = await startTestBroker({ websocket: { port } });
    // Starting the broker takes seconds on a loaded machine: see retryNow().
    await retryNow(page);
    await waitForConnection(page, 'connected', 20_000);
    await waitForWorker(page, 'ready');
    expect(await page.getAttribute('#worker-pill', 'class')).not.toContain('stale');
    expect(await page.locator('#event-log li.system[data-name="disconnected"]').count()).toBe(1);
    await closeTab(page);
  });
  it('an upload over the size limit is refused with E_TOO_LARGE at its first piece, whatever its size; the tab stays connected', async () => {
    // 64 KB limit: 100 KB and 400 KB (past what the transport takes in one message) alike.
    const small = await startTestBroker({ websocket: { max_message_size: 64 * 1024 } });
    try {
      const page = await newTab();
      await openPanel(page, small.url, small.token);
      await waitForConnection(page, 'connected');
      for (const [name, size] of [['big.zip', 100 * 1024], ['huge.zip', 400 * 1024]] as const) {
        await page.setInputFiles('#zip-input', { name, mimeType: 'application/zip', buffer: randomBytes(size) });
        await page.waitForFunction((n) => {
          const s = document.getElementById('upload-status');
          return s?.dataset.phase === 'failed' && s.textContent?.includes(n);
        }, name, { timeout: 20_000 });
        expect(await page.textContent('#upload-status')).toContain('E_TOO_LARGE');
      }
      await waitForConnection(page, 'connected');
      await closeTab(page);
    } finally {
      await small.close();
    }
  });
});
