/**
 * The control panel in a real browser against a real broker: open with the token,
 * upload a ZIP, start, call, see events and the plot, STOP, history, errors, and
 * recovery after the worker is killed. One browser and one broker for the file.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { paths } from '../../dist/server/paths.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { callFromPanel, launchBrowser, openPanel, waitForConnection, waitForWorker, watchErrors } from './browser.js';
import { roverZip } from './robots.js';

let t: TestBroker;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestBroker(), launchBrowser()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors = watchErrors(page);
  // Record what goes over the WebSocket, to check the upload travels as binary.
  await page.addInitScript(() => {
    const w = window as unknown as { wsFrames: Array<{ binary?: number; text?: number }> };
    w.wsFrames = [];
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data) {
      w.wsFrames.push(typeof data === 'string' ? { text: data.length } : { binary: (data as ArrayBuffer).byteLength ?? (data as Blob).size });
      return send.call(this, data);
    };
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const chipCount = (p: Page, name: string) =>
  p.evaluate((n) => Number(document.querySelector(`#event-chips .chip[data-name="${n}"] .chip-n`)?.textContent?.replace(/,/g, '') ?? 0), name);

// A browser on a shared 2-core machine: room beyond the suite's 30 s per test.
describe('the control panel', { timeout: 60_000 }, () => {
  it('opens from the banner URL, keeps the token for the session and wipes it from the address bar', async () => {
    await openPanel(page, t.url, t.token);
    await waitForConnection(page, 'connected');
    await waitForWorker(page, 'ready');
    expect(page.url()).toBe(`${t.url}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('robot-control.token'))).toBe(t.token);
    expect(await page.textContent('#conn-pill')).toContain('connected');
    expect(await page.isVisible('#token-dialog')).toBe(false);
  });

  it('uploads a project ZIP as binary and shows the ack', async () => {
    const zip = roverZip();
    await page.setInputFiles('#zip-input', { name: 'rover.zip', mimeType: 'application/zip', buffer: zip });
    await page.waitForSelector('#upload-status[data-phase="done"]', { timeout: 20_000 });
    const text = await page.textContent('#upload-status');
    expect(text).toContain('rover.zip');
    expect(text).toContain('javascript project');
    expect(text).toContain('main.js');
    expect(text).toContain('2 files');
    const frames = await page.evaluate(() => (window as unknown as { wsFrames: Array<{ binary?: number; text?: number }> }).wsFrames);
    // In binary pieces (update_chunk) that add up to the ZIP: no base64 copy.
    const binary = frames.reduce((sum, f) => sum + (f.binary ?? 0), 0);
    expect(binary).toBeGreaterThanOrEqual(zip.length);
    expect(binary).toBeLessThan(zip.length + 4096); // the pieces, and no second copy
    expect(frames.every((f) => (f.text ?? 0) < zip.length / 2)).toBe(true);
    // The broker's project event brings the new picker: no Start needed.
    await page.waitForSelector('.method[data-object="rover"][data-method="Drive"]');
  });

  it('starts the project: the picker comes from the start ack, STOP names the stop() hook', async () => {
    await page.click('#start-btn');
    // The upload's `project` event has drawn a picker already: wait for the start's own answer.
    await page.waitForFunction(() => document.querySelector('#project-info')?.textContent?.includes('started in'));
    await page.waitForSelector('.method[data-object="rover"][data-method="Hello"]');
    const methods = await page.$$eval('.method[data-object="rover"]', (els) => els.map((e) => (e as HTMLElement).dataset.method));
    expect(methods).toEqual(expect.arrayContaining(['Hello', 'Add', 'Fail', 'Drive', 'Flood', 'StopMove']));
    expect(await page.textContent('#project-info')).toContain('javascript');
    expect(await page.isEnabled('#stop-btn')).toBe(true);
    expect(await page.textContent('#stop-detail')).toBe('rover.stop()');
  });

  it('calls a method and shows the result with its round-trip time', async () => {
    const head = await callFromPanel(page, 'rover', 'Add', '[2, 3]');
    expect(head).toMatch(/✓ rover\.Add · [\d.]+ (ms|s)/);
    expect(await page.textContent('#result-body')).toBe('5');
    expect(await callFromPanel(page, 'rover', 'Hello', '["panel"]')).toContain('✓');
    expect(JSON.parse((await page.textContent('#result-body'))!)).toEqual({ hello: 'panel' });
  });

  it('checks the JSON args before sending and remembers them per method', async () => {
    await page.click('.method[data-object="rover"][data-method="Add"]');
    expect(await page.inputValue('#args-input')).toBe('[2, 3]');
    await page.fill('#args-input', '[2,');
    expect(await page.isDisabled('#send-btn')).toBe(true);
    expect(await page.textContent('#args-hint')).toContain('Not valid JSON');
    await page.fill('#args-input', '7');
    expect(await page.isDisabled('#send-btn')).toBe(true);
    expect(await page.textContent('#args-hint')).toContain('must be an array');
    expect(await callFromPanel(page, 'rover', 'Add', '[40, 2]')).toContain('✓');
    expect(await page.textContent('#result-body')).toBe('42');
    await page.click('.method[data-object="rover"][data-method="Hello"]');
    expect(await page.inputValue('#args-input')).toBe('["panel"]');
    await page.click('.method[data-object="rover"][data-method="Add"]');
    expect(await page.inputValue('#args-input')).toBe('[40, 2]');
  });

  it('shows an error with its code', async () => {
    const head = await callFromPanel(page, 'rover', 'Fail', '');
    expect(head).toContain('✗ rover.Fail · E_METHOD_FAILED');
    expect(await page.textContent('#result-body')).toContain('rover says no');
  });

  it('re-runs a call from the history with one click', async () => {
    const rows = await page.locator('#history-list li').count();
    const add = page.locator('#history-list li', { hasText: 'rover.Add([40,2])' }).first();
    await add.locator('button.rerun').click();
    await waitFor(async () => (await page.locator('#history-list li').count()) === rows + 1, 5000, 'a new history row');
    await page.waitForFunction(() => document.getElementById('result-body')?.textContent === '42');
    expect(await page.locator('#history-list li').first().textContent()).toContain('rover.Add([40,2])');
  });

  it('shows pushed events live with counts, filter and pause, and plots their numbers', async () => {
    await callFromPanel(page, 'rover', 'Drive', '{"every_ms": 20}');
    await waitFor(async () => (await chipCount(page, 'telemetry')) > 20, 10_000, 'telemetry events');
    expect(await page.locator('#event-log li[data-name="telemetry"]').count()).toBeGreaterThan(0);

    // Telemetry every 20 ms, one point per 100 ms step: a point every ~0.1 s. A plot
    // that waits for the stream to stall before it moves fails these waits.
    await page.selectOption('#plot-event', 'telemetry');
    await page.waitForFunction(() => Number(document.getElementById('plot')?.dataset.points) > 5, undefined, { timeout: 10_000 });
    const series = (await page.getAttribute('#plot', 'data-series'))!.split(',');
    expect(series).toEqual(expect.arrayContaining(['speed', 'battery']));
    expect(series).not.toContain('seq'); // counters start hidden
    expect(await page.locator('#plot canvas').count()).toBe(1);
    const before = Number(await page.getAttribute('#plot', 'data-points'));
    await page.waitForFunction((n) => Number(document.getElementById('plot')?.dataset.points) > n, before, { timeout: 10_000 });

    // Filter by name: only telemetry rows.
    await page.click('#event-chips .chip[data-name="telemetry"]');
    const names = await page.$$eval('#event-log li', (els) => els.map((e) => (e as HTMLElement).dataset.name));
    expect(new Set(names)).toEqual(new Set(['telemetry']));
    await page.click('#event-chips .chip[data-name=""]');

    // Pause: the rows stop moving while the counts go on.
    await page.click('#pause-btn');
    const top = await page.textContent('#event-log li:first-child');
    const counted = await chipCount(page, 'telemetry');
    await page.waitForTimeout(300);
    expect(await page.textContent('#event-log li:first-child')).toBe(top);
    expect(await chipCount(page, 'telemetry')).toBeGreaterThan(counted);
    expect(await page.textContent('#pause-btn')).toMatch(/Resume · [\d,]+ new/);
    await page.click('#pause-btn');
    await page.waitForFunction((old) => document.querySelector('#event-log li:first-child')?.textContent !== old, top);
  });

  it('STOP runs the robot\'s stop() hooks (emergency_stop: the button, and Escape)', async () => {
    await page.click('#stop-btn');
    await waitFor(async () => (await chipCount(page, 'stopped')) === 1, 5000, 'the stopped event');
    await page.waitForSelector('.toast:has-text("STOP: stopped rover")');
    await page.focus('#args-input');
    await page.keyboard.press('Escape');
    await waitFor(async () => (await chipCount(page, 'stopped')) === 2, 5000, 'the second stopped event');
  });

  it('a reload reconnects as the same tab (no "busy") and keeps the picker', async () => {
    await page.reload();
    await waitForConnection(page, 'connected');
    expect(page.url()).toBe(`${t.url}/`);
    await page.waitForSelector('.method[data-object="rover"][data-method="Add"]');
    expect(await page.isEnabled('#stop-btn')).toBe(true);
  });

  it('recovers after the worker is killed: state shown, calls work again', async () => {
    const before = t.broker.supervisor.status();
    // The pid the broker shows is the worker's own node process (under bwrap too), not bwrap's:
    // bwrap's argv holds the worker script too, so its argv[0] tells them apart.
    const argv = readFileSync(`/proc/${before.pid}/cmdline`, 'utf8').split('\0');
    expect(argv[0]).toMatch(/node$/);
    expect(argv).toContain(paths.workerScript);
    process.kill(before.pid!, 'SIGKILL');
    await page
      .waitForFunction(
        (pid) => {
          const pill = document.getElementById('worker-pill')!;
          return pill.dataset.state === 'ready' && !pill.textContent!.includes(`pid ${pid}`);
        },
        before.pid,
        { timeout: 20_000 },
      )
      .catch(async (err: Error) => {
        // Say what each side saw (the broker's log is printed with any failure: tests/setup.ts).
        const pill = await page.evaluate(() => ({ ...document.getElementById('worker-pill')!.dataset, text: document.getElementById('worker-pill')!.textContent, conn: document.getElementById('conn-pill')!.dataset.state }));
        throw new Error(`${err.message}\nkilled pid ${before.pid}; pill ${JSON.stringify(pill)}; supervisor ${JSON.stringify(t.broker.supervisor.status())}`);
      });
    expect(await page.getAttribute('#worker-pill', 'title')).toMatch(/1 restart\b/);
    expect(await page.locator('#event-log li.system[data-name="worker_status"]').count()).toBeGreaterThan(0);
    expect(await callFromPanel(page, 'rover', 'Add', '[1, 1]')).toContain('✓');
    expect(await page.textContent('#result-body')).toBe('2');
  });

  it('a bad upload shows its error code and the previous project stays', async () => {
    await page.setInputFiles('#zip-input', { name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('this is not a zip file') });
    await page.waitForSelector('#upload-status[data-phase="failed"]', { timeout: 20_000 });
    expect(await page.textContent('#upload-status')).toContain('E_INVALID_ZIP');
    expect(await callFromPanel(page, 'rover', 'Add', '[2, 2]')).toContain('✓');
  });

  it('logged no page or console errors', () => {
    expect(errors).toEqual([]);
  });
});
