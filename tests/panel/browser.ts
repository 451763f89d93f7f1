/**
 * A real browser for the panel tests: Debian's chromium driven by playwright-core, one
 * browser for the whole run (chromium.ts); each file gets pages of its own.
 */
import type { Browser, Page } from 'playwright-core';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { launchBrowser } from './chromium.js';

export { launchBrowser };

/** Page errors and console errors, collected so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Open the panel the way the banner URL does: `/?token=...`. */
export async function openPanel(page: Page, url: string, token: string, query = ''): Promise<void> {
  await page.goto(`${url}/?token=${encodeURIComponent(token)}${query}`);
}

/** Wait until the connection pill says `state` (connected, busy, unauthorized...). */
export async function waitForConnection(page: Page, state: string, timeout = 10_000): Promise<void> {
  await page.waitForSelector(`#conn-pill[data-state="${state}"]`, { timeout });
}

export async function waitForWorker(page: Page, state: string, timeout = 15_000): Promise<void> {
  await page.waitForSelector(`#worker-pill[data-state="${state}"]`, { timeout });
}

/** Pick a method in the picker, type its args, press Send; resolves with the result header text once answered. */
export async function callFromPanel(page: Page, object: string, method: string, args = ''): Promise<string> {
  await page.click(`.method[data-object="${object}"][data-method="${method}"]`);
  await page.fill('#args-input', args);
  await page.click('#send-btn');
  const head = page.locator('#result-head:not(.tone-wait)');
  await head.waitFor({ timeout: 15_000 });
  await page.waitForFunction(
    (label) => {
      const el = document.getElementById('result-head');
      return !!el && !el.classList.contains('tone-wait') && el.textContent!.includes(label);
    },
    `${object}.${method}`,
    { timeout: 15_000 },
  );
  return (await page.textContent('#result-head')) ?? '';
}

/** A test broker and a fresh browser page for one test file; `close()` ends both. */
export async function panelSession(): Promise<{ t: TestBroker; browser: Browser; page: Page; errors: string[]; close(): Promise<void> }> {
  const [t, browser] = await Promise.all([startTestBroker(), launchBrowser()]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  return { t, browser, page, errors: watchErrors(page), close: async () => void (await Promise.all([browser.close(), t.close()])) };
}
