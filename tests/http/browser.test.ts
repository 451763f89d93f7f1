/**
 * The panel's protections as a real browser (Chromium) applies them: another site
 * can neither frame the panel nor open a Socket.IO connection to the broker from a
 * visitor's browser, a script injected into the panel does not run, and the panel
 * itself connects and works under its CSP.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { launchBrowser, openPanel, waitForConnection, watchErrors } from '../panel/browser.js';

let t: TestBroker;
let browser: Browser;
let other: Server;
let otherUrl: string;

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestBroker(), launchBrowser()]);
  // "Another site": a page on another port (another origin) that frames the panel and dials the broker.
  const panel = `${t.url}/?token=${t.token}`;
  const ws = `${t.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const page = `<!doctype html><html><body>
    <iframe id="framed" src="${panel}"></iframe>
    <script>
      window.dial = new Promise((resolve) => {
        const s = new WebSocket(${JSON.stringify(ws)});
        s.onopen = () => { s.close(); resolve('open'); };
        s.onerror = () => resolve('refused');
      });
    </script></body></html>`;
  other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await browser?.close();
  other?.close();
  await t?.close();
});

describe('the panel in Chromium', { timeout: 60_000 }, () => {
  it('another site can neither frame the panel nor open a WebSocket to the broker', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(otherUrl);
      expect(await page.evaluate(() => (window as unknown as { dial: Promise<string> }).dial)).toBe('refused');
      // A frame refused by frame-ancestors shows Chromium's error page, never the panel.
      const framed = () => page.frames().find((f) => f !== page.mainFrame());
      await waitFor(() => framed()?.url().startsWith('chrome-error:') === true, 10_000, 'the frame to be refused');
      // Nothing reached the robot from the other site.
      expect(t.broker.io.of('/').sockets.size).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('the panel connects and works under its CSP; a script injected into it does not run', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    try {
      await openPanel(page, t.url, t.token);
      await waitForConnection(page, 'connected');
      expect(errors).toEqual([]);
      await page.addScriptTag({ content: 'window.injected = true;' }).catch(() => {});
      expect(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();
      expect(errors.join('\n')).toMatch(/Content Security Policy/);
    } finally {
      await page.close();
    }
  });
});
