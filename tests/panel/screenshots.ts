/**
 * The screenshots in docs/screenshots/: a realistic session against a real broker
 * (the default robot walking in a circle, recognition running), desktop and phone.
 * Not a test. Run after `npm run build`:  npx tsx tests/panel/screenshots.ts
 */
import { mkdirSync } from 'node:fs';
import { startTestBroker } from '../helpers/broker.js';
import { callFromPanel, launchBrowser, openPanel, waitForConnection } from './browser.js';

const out = new URL('../../docs/screenshots/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });

const t = await startTestBroker();
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await openPanel(page, t.url, t.token);
  await waitForConnection(page, 'connected');
  await page.click('#start-btn');
  await page.waitForSelector('.method[data-method="StandUp"]');
  await callFromPanel(page, 'sport_client', 'StandUp');
  await callFromPanel(page, 'recognition', 'Start', '{"interval_ms": 250}');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.6, "vyaw": 0.35}');
  await page.waitForTimeout(9000);
  await callFromPanel(page, 'sport_client', 'GetStatus');
  await page.selectOption('#plot-event', 'odometry');
  await page.waitForTimeout(600);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${out}panel-desktop.png` });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(800);
  await page.screenshot({ path: `${out}panel-phone.png` });
  await page.screenshot({ path: `${out}panel-phone-full.png`, fullPage: true });

  // The plot on recognition confidence, desktop.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.selectOption('#plot-event', 'recognition_result');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${out}panel-recognition.png` });

  // What a second operator sees while this one holds the robot.
  const other = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await openPanel(other, t.url, t.token);
  await waitForConnection(other, 'busy');
  await other.screenshot({ path: `${out}panel-busy.png` });

  // Watch-only mode: the same session seen from /monitor.
  await openPanel(other, t.url, t.token, '&watch=1');
  await waitForConnection(other, 'connected');
  await other.selectOption('#plot-event', 'odometry');
  await callFromPanel(page, 'sport_client', 'GetStatus');
  await callFromPanel(page, 'recognition', 'GetLast');
  await callFromPanel(page, 'sport_client', 'StandDown');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.8, "vyaw": -0.4}'); // fails: lying down
  await callFromPanel(page, 'sport_client', 'StandUp');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.8, "vyaw": -0.4}');
  await page.waitForTimeout(4000);
  await other.mouse.move(0, 0);
  await other.screenshot({ path: `${out}panel-watch.png` });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await t.close();
}
