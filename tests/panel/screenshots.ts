/**
 * The screenshots in docs/screenshots/: a realistic session against a real broker
 * (the default robot walking in a circle, recognition running), desktop and phone, the
 * controlling tab and a second tab observing; and an observing tab whose link dropped
 * for longer than the broker keeps events (panel-gap.png).
 * Not a test. Run after `npm run build`:  npx tsx tests/panel/screenshots.ts
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { call, callMethod, gateConnections, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { callFromPanel, launchBrowser, openPanel, waitForConnection } from './browser.js';

const out = new URL('../../docs/screenshots/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });

const t = await startTestBroker();
const browser = await launchBrowser();

/**
 * What the default robot prints reaches the panel as `robot_log` once the broker relays
 * robot output; until a line has arrived by itself, say what it prints (StandUp's line).
 */
async function robotOutput(page: Page): Promise<void> {
  const arrived = await page
    .waitForSelector('#console-log .con-line', { timeout: 1500 })
    .then(() => true)
    .catch(() => false);
  if (arrived) return;
  const io = t.broker.io.of('/') as unknown as { emit(e: string, d: unknown): void };
  const gen = t.broker.supervisor.status().generation;
  io.emit('robot_log', { stream: 'stdout', line: 'standing up, battery 100 %', ts: Date.now(), generation: gen });
  io.emit('robot_log', { stream: 'stderr', line: '(node:4711) Warning: odometry drift above 2 cm, recalibrating', ts: Date.now(), generation: gen });
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await openPanel(page, t.url, t.token);
  await waitForConnection(page, 'connected');
  await page.click('#start-btn');
  await page.waitForSelector('.method[data-method="StandUp"]');
  await callFromPanel(page, 'sport_client', 'StandUp');
  await robotOutput(page);
  await callFromPanel(page, 'recognition', 'Start', '{"interval_ms": 250}');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.6, "vy": 0, "vyaw": 0.35}');
  await page.waitForTimeout(9000);
  await callFromPanel(page, 'sport_client', 'GetStatus');
  await page.selectOption('#plot-event', 'odometry');
  await page.click('.method[data-object="sport_client"][data-method="Move"]');
  await page.waitForTimeout(600);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${out}panel-desktop.png` });

  // The call card: the form from Move's JSDoc, a preset, an error with its file:line.
  await page.fill('#args-input', '{"vx": 0.3, "vyaw": 0.5}');
  await page.fill('#preset-name', 'gentle left');
  await page.click('#preset-save');
  await page.fill('#args-input', '{"vx": 0.8}');
  await page.fill('#preset-name', 'straight');
  await page.click('#preset-save');
  await callFromPanel(page, 'sport_client', 'StandDown');
  await page.click('.method[data-object="sport_client"][data-method="Move"]');
  await page.click('#preset-list .preset[data-preset="gentle left"] .preset-run');
  await page.waitForFunction(() => document.getElementById('result-head')?.textContent?.includes('E_METHOD_FAILED'));
  // Tall enough that the card needs no scrolling (the sticky top bar would cover its top).
  await page.setViewportSize({ width: 1280, height: 1600 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await page.locator('#call-card').screenshot({ path: `${out}panel-call.png` });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(800);
  await page.screenshot({ path: `${out}panel-phone.png` });
  await page.screenshot({ path: `${out}panel-phone-full.png`, fullPage: true });

  // The plot on recognition confidence, desktop.
  await page.setViewportSize({ width: 1280, height: 800 });
  await callFromPanel(page, 'sport_client', 'StandUp');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.6, "vyaw": 0.35}');
  await page.selectOption('#plot-event', 'recognition_result');
  await page.waitForTimeout(1500);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${out}panel-recognition.png` });

  // The XY path while driving by keyboard: a left turn held on the teleop pad.
  await page.selectOption('#plot-event', 'odometry');
  await page.selectOption('#plot-view', 'xy');
  await page.click('#teleop-details > summary');
  await page.focus('#teleop-pad');
  await page.keyboard.down('w');
  await page.keyboard.down('a');
  await page.waitForTimeout(4000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${out}panel-xy.png` });
  await page.keyboard.up('a');
  await page.keyboard.up('w');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.selectOption('#plot-view', 'time');

  // What a second operator sees while this one holds the robot: an observer, STOP armed.
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.6, "vyaw": 0.35}');
  const other = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await openPanel(other, t.url, t.token);
  await waitForConnection(other, 'connected');
  await other.waitForSelector('#lease-pill[data-role="observer"]');
  await other.waitForSelector('#stop-btn[data-armed="true"]');
  await other.waitForFunction(() => [...document.querySelectorAll<HTMLOptionElement>('#plot-event option')].some((o) => o.value === 'odometry'));
  await other.selectOption('#plot-event', 'odometry');
  await page.waitForTimeout(2500);
  await other.mouse.move(0, 0);
  await other.screenshot({ path: `${out}panel-observer.png` });

  // Watch-only mode: the same session seen from /monitor.
  await openPanel(other, t.url, t.token, '&watch=1');
  await waitForConnection(other, 'connected');
  await callFromPanel(page, 'sport_client', 'GetStatus');
  await callFromPanel(page, 'recognition', 'GetLast');
  await callFromPanel(page, 'sport_client', 'StandDown');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.8, "vyaw": -0.4}'); // fails: lying down
  await callFromPanel(page, 'sport_client', 'StandUp');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.8, "vyaw": -0.4}');
  await other.waitForFunction(() => [...document.querySelectorAll<HTMLOptionElement>('#plot-event option')].some((o) => o.value === 'odometry'));
  await other.selectOption('#plot-event', 'odometry');
  await page.waitForTimeout(4000);
  await other.mouse.move(0, 0);
  await other.screenshot({ path: `${out}panel-watch.png` });
  await gapShot();
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await t.close();
}

/**
 * An observing tab loses its link for 6 s while a script drives the default robot; the
 * broker keeps 5 events (`replay.max_events`), so it replays those and the panel marks
 * the rest as lost, in the events log and the plot.
 */
async function gapShot(): Promise<void> {
  const small: TestBroker = await startTestBroker({ replay: { max_events: 5 } });
  try {
    // While refusing, the broker refuses new connections: the tab stays away.
    const gate = gateConnections(small.broker);
    const driver = await small.connect();
    await call(driver, 'start', {});
    await callMethod(driver, 'sport_client', 'StandUp');
    await callMethod(driver, 'sport_client', 'Move', { vx: 0.6, vyaw: 0.35 });
    const tab = await (await browser.newContext({ viewport: { width: 1280, height: 1100 }, deviceScaleFactor: 1 })).newPage();
    await openPanel(tab, small.url, small.token);
    await waitForConnection(tab, 'connected');
    await tab.waitForFunction(() => [...document.querySelectorAll<HTMLOptionElement>('#plot-event option')].some((o) => o.value === 'odometry'));
    await tab.selectOption('#plot-event', 'odometry');
    await tab.selectOption('#plot-window', '30000');
    await tab.waitForTimeout(9000);
    gate.refusing = true;
    for (const s of small.broker.io.of('/').sockets.values()) if (s.id !== driver.id) s.conn.close();
    await tab.waitForTimeout(6000);
    gate.refusing = false;
    await waitForConnection(tab, 'connected', 20_000);
    await tab.waitForSelector('#event-log li[data-name="replay_gap"]');
    await tab.waitForTimeout(4000);
    // The gap's row in the middle of the log (which keeps it there as new rows come in above).
    await tab.evaluate(() => {
      const list = document.getElementById('event-log')!;
      const row = list.querySelector('li[data-name="replay_gap"]')!;
      list.scrollTop += row.getBoundingClientRect().top - list.getBoundingClientRect().top - list.clientHeight / 2;
      window.scrollTo(0, 0);
    });
    await tab.mouse.move(0, 0);
    const plot = (await tab.locator('#plot-card').boundingBox())!;
    const events = (await tab.locator('#events-card').boundingBox())!;
    await tab.screenshot({ path: `${out}panel-gap.png`, clip: { x: plot.x - 8, y: plot.y - 8, width: plot.width + 16, height: events.y + events.height - plot.y + 16 } });
    driver.close();
  } finally {
    await small.close();
  }
}
