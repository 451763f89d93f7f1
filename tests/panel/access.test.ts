/**
 * Getting in and staying in: the token prompt (none, wrong, pasted URL), "busy"
 * while another client holds the robot, and reconnecting with backoff when the
 * broker goes away and comes back on the same port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
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

describe('access', () => {
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

  it('says "busy" with what to do while another client holds the robot, and connects once it leaves', async () => {
    const holder = await t.connect({ clientId: 'someone-else' });
    const page = await newTab();
    await openPanel(page, t.url, t.token);
    await waitForConnection(page, 'busy');
    await page.waitForSelector('#banner[data-kind="busy"]');
    const banner = await page.textContent('#banner');
    expect(banner).toContain('Another client holds the robot');
    expect(banner).toMatch(/trying again in \d+ s/);
    expect(await page.isDisabled('#start-btn')).toBe(true);
    expect(await page.isDisabled('#stop-btn')).toBe(true);

    holder.close();
    await page.click('#banner button:has-text("Retry now")');
    await waitForConnection(page, 'connected');
    expect(await page.isHidden('#banner')).toBe(true);
    expect(await page.isEnabled('#start-btn')).toBe(true);
    await closeTab(page);
  });

  it('reconnects with backoff when the broker goes away and comes back', async () => {
    const page = await newTab();
    await openPanel(page, t.url, t.token);
    await waitForConnection(page, 'connected');
    const port = t.broker.port;
    await t.close();
    await waitForConnection(page, 'reconnecting');
    await page.waitForSelector('#banner[data-kind="reconnecting"]');
    expect(await page.textContent('#banner')).toMatch(/attempt \d+, next try in \d+ s/);
    expect(await page.getAttribute('#worker-pill', 'class')).toContain('stale');

    t = await startTestBroker({ websocket: { port } });
    await page.click('#banner button:has-text("Retry now")');
    await waitForConnection(page, 'connected');
    await waitForWorker(page, 'ready');
    expect(await page.getAttribute('#worker-pill', 'class')).not.toContain('stale');
    expect(await page.locator('#event-log li.system[data-name="disconnected"]').count()).toBe(1);
    await closeTab(page);
  });
});
