/**
 * The operator's day (issue #14) in a real browser against a real broker: method
 * forms from the start ack, presets, readable errors, robot output, a plot that
 * follows the project and says when it is stale, the XY view, keyboard teleop with
 * its deadman, one timeline row per worker change, plain connection messages.
 *
 * `robot_log` is emitted here from the broker's own Socket.IO server (its producer,
 * the worker's stdout relay, is another branch's): this checks the panel's rendering.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { callFromPanel, launchBrowser, openPanel, waitForConnection, waitForWorker, watchErrors } from './browser.js';
import { DRIVER, driverZip } from './robots.js';

let t: TestBroker;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestBroker(), launchBrowser()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = watchErrors(page);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const chipCount = (p: Page, name: string) =>
  p.evaluate((n) => Number(document.querySelector(`#event-chips .chip[data-name="${n}"] .chip-n`)?.textContent?.replace(/,/g, '') ?? 0), name);
const systemRows = (p: Page, name: string) => p.locator(`#event-log li.system[data-name="${name}"]`).count();

async function upload(p: Page, zip: Buffer, name = 'driver.zip'): Promise<void> {
  await p.setInputFiles('#zip-input', { name, mimeType: 'application/zip', buffer: zip });
  await p.waitForSelector('#upload-status[data-phase="done"], #upload-status[data-phase="failed"]', { timeout: 20_000 });
}

describe('the operator panel', { timeout: 60_000 }, () => {
  it('the default robot: hooks apart, Move as a form with its JSDoc, a template of the defaults', async () => {
    await openPanel(page, t.url, t.token);
    await waitForConnection(page, 'connected');
    await page.click('#start-btn');
    await page.waitForSelector('.method[data-object="sport_client"][data-method="Move"]');
    // stop() is a lifecycle hook: shown apart, not among the commands.
    expect(await page.locator('.method-list .method[data-method="stop"]').count()).toBe(0);
    expect(await page.locator('.hook-list .method.hook[data-object="sport_client"][data-method="stop"]').count()).toBe(1);
    expect(await page.locator('.method-list .method[data-object="recognition"][data-method="Stop"]').count()).toBe(1);

    await page.click('.method[data-object="sport_client"][data-method="Move"]');
    expect(await page.textContent('#call-target')).toContain('({ vx?, vy?, vyaw? })');
    expect(await page.textContent('#method-doc')).toContain('until StopMove');
    const fields = await page.$$eval('#args-form .arg-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.param));
    expect(fields).toEqual(['vx', 'vy', 'vyaw']);
    expect(await page.textContent('#args-form .arg-row[data-param="vx"] .arg-doc')).toMatch(/m\/s/);
    expect(await page.getAttribute('#arg-vx', 'placeholder')).toBe('default 0');
    expect(JSON.parse(await page.inputValue('#args-input'))).toEqual({ vx: 0, vy: 0, vyaw: 0 });

    // The form writes the JSON; the JSON fills the form.
    await page.fill('#arg-vx', '0.3');
    expect(JSON.parse(await page.inputValue('#args-input'))).toMatchObject({ vx: 0.3 });
    await page.fill('#args-input', '{"vyaw": 1.2}');
    expect(await page.inputValue('#arg-vyaw')).toBe('1.2');
    expect(await page.inputValue('#arg-vx')).toBe('');
  });

  it('an error reads as text: the message, the project-relative file:line highlighted, the robot\'s own frames', async () => {
    const head = await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.3}');
    expect(head).toContain('E_METHOD_FAILED');
    const source = readFileSync(fileURLToPath(new URL('../../storage/projects/default/main.js', import.meta.url)), 'utf8').split('\n');
    const line = source.findIndex((l) => l.includes('must StandUp before it can Move')) + 1;
    expect(await page.textContent('#result-body .err-message')).toBe('the robot must StandUp before it can Move');
    expect(await page.textContent('#result-body .err-where mark.loc.here')).toMatch(new RegExp(`^main\\.js:${line}:\\d+$`));
    const stack = (await page.textContent('#result-body .err-stack'))!;
    expect(stack).toMatch(/at SportClient\.Move \(main\.js:\d+:\d+\)/);
    expect(stack).not.toMatch(/\/|\\n|dist|node:/); // no absolute path, no literal \n, no broker frame
    expect(await page.locator('#result-body .err-stack mark.loc.here').count()).toBeGreaterThan(0);
    expect(await page.locator('#history-list li').first().locator('.badge').getAttribute('title')).toMatch(/main\.js:\d+/);
  });

  it('presets: saved per method, kept across a reload, run with one click', async () => {
    await callFromPanel(page, 'sport_client', 'StandUp');
    await page.click('.method[data-object="sport_client"][data-method="Move"]');
    await page.fill('#args-input', '{"vx": 0.2}');
    await page.fill('#preset-name', 'slow forward');
    await page.click('#preset-save');
    await page.reload();
    await waitForConnection(page, 'connected');
    await page.click('.method[data-object="sport_client"][data-method="Move"]');
    const chip = page.locator('#preset-list .preset[data-preset="slow forward"] .preset-run');
    await chip.waitFor();
    const rows = await page.locator('#history-list li').count();
    await chip.click();
    await waitFor(async () => (await page.locator('#history-list li').count()) === rows + 1, 10_000, 'the preset call');
    expect(await page.locator('#history-list li').first().textContent()).toContain('sport_client.Move({"vx":0.2})');
    await page.waitForFunction(() => document.getElementById('result-head')?.textContent?.startsWith('✓ sport_client.Move'));
    // Another method has its own presets; × forgets one.
    await page.click('.method[data-object="sport_client"][data-method="GetStatus"]');
    expect(await page.locator('#preset-list .preset').count()).toBe(0);
    await page.click('.method[data-object="sport_client"][data-method="Move"]');
    await page.click('#preset-list .preset[data-preset="slow forward"] .preset-del');
    expect(await page.locator('#preset-list .preset').count()).toBe(0);
    await callFromPanel(page, 'sport_client', 'StopMove');
  });

  it('robot output: each robot_log line in the console pane, stderr marked, a new generation marked', async () => {
    const io = t.broker.io.of('/') as unknown as { emit(e: string, d: unknown): void };
    io.emit('robot_log', { stream: 'stdout', line: 'hello from the robot', ts: Date.now(), generation: 1 });
    io.emit('robot_log', { stream: 'stderr', line: 'warning: <b>not html</b>', ts: Date.now(), generation: 1 });
    io.emit('robot_log', { stream: 'stdout', line: 'after the restart', ts: Date.now(), generation: 2 });
    io.emit('robot_log', { line: 42 }); // not a robot_log: ignored
    await page.waitForSelector('#console-log .con-line:nth-child(4)');
    const lines = await page.$$eval('#console-log li', (ls) => ls.map((l) => `${l.className}|${l.querySelector('.con-text')?.textContent ?? l.textContent}`));
    expect(lines).toEqual(['con-line stdout|hello from the robot', 'con-line stderr|warning: <b>not html</b>', 'con-gen|worker generation 2', 'con-line stdout|after the restart']);
    expect(await page.locator('#console-log b').count()).toBe(0);
    expect(await page.textContent('#console-count')).toBe('3 lines');
    // Robot output is not a robot event: the log and its counts do not show it.
    expect(await chipCount(page, 'robot_log')).toBe(0);
  });

  it('the plot follows an upload, draws one sample as a dot on a sane axis, and marks frozen values stale', async () => {
    await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.4}');
    await page.waitForFunction(() => document.getElementById('plot')?.dataset.event === 'odometry' && Number(document.getElementById('plot')?.dataset.points) > 0);
    const rows = await systemRows(page, 'worker_status');
    await upload(page, driverZip());
    expect(await page.textContent('#upload-status')).toContain('uploaded');
    // The old project's events are gone from the plot; one row for the restart in the timeline.
    await page.waitForFunction(() => document.getElementById('plot')?.dataset.event === '');
    expect(await page.$$eval('#plot-event option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['']);
    await waitForWorker(page, 'ready');
    await waitFor(async () => (await systemRows(page, 'worker_status')) === rows + 1, 10_000, 'one worker_status row');
    await page.waitForTimeout(300);
    expect(await systemRows(page, 'worker_status')).toBe(rows + 1);

    await page.click('#start-btn');
    await page.waitForSelector('.method[data-object="base"][data-method="Tick"]');
    await callFromPanel(page, 'base', 'Tick', '[7]');
    await page.waitForFunction(() => document.getElementById('plot')?.dataset.event === 'level' && document.getElementById('plot')?.dataset.points === '1');
    await page.waitForFunction(() => document.querySelector('#plot canvas') !== null && document.getElementById('plot')?.dataset.span !== undefined);
    // One sample: a 10 s axis ending at it (the old axis spanned two years and drew nothing).
    const span = Number(await page.getAttribute('#plot', 'data-span'));
    expect(span).toBeGreaterThanOrEqual(10);
    expect(span).toBeLessThan(60);
    expect(await page.isVisible('#plot-stale')).toBe(false);
    // Nothing new for a while: the values on screen are the last received, and say so.
    await page.waitForSelector('#plot-card.stale', { timeout: 10_000 });
    expect(await page.textContent('#plot-stale')).toMatch(/stale · last level \d+ s ago/);
    await callFromPanel(page, 'base', 'Tick', '[8]');
    await page.waitForSelector('#plot-card:not(.stale)', { timeout: 5000 });
  });

  it('an event with x and y can be seen as its XY path', async () => {
    expect(await page.isDisabled('#plot-view option[value="xy"]')).toBe(true); // `level` has no x/y
    await upload(page, (await import('../helpers/zip.js')).zipDir(fileURLToPath(new URL('../../storage/projects/default', import.meta.url))), 'default.zip');
    await page.click('#start-btn');
    await page.waitForSelector('.method[data-object="sport_client"][data-method="StandUp"]');
    await callFromPanel(page, 'sport_client', 'StandUp');
    await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.6, "vyaw": 0.8}');
    await page.waitForFunction(() => document.getElementById('plot')?.dataset.event === 'odometry' && Number(document.getElementById('plot')?.dataset.points) > 3);
    await page.selectOption('#plot-view', 'xy');
    await page.waitForFunction(() => Number(document.getElementById('plot-xy')?.dataset.points) > 3);
    expect(await page.isVisible('#plot-xy canvas')).toBe(true);
    expect(await page.isVisible('#plot')).toBe(false);
    await callFromPanel(page, 'sport_client', 'StopMove');
    await page.selectOption('#plot-view', 'time');
  });

  it('teleop: held keys call the Move-like method at a fixed rate; releasing, or losing focus, calls the stop method', async () => {
    await upload(page, driverZip());
    await page.click('#start-btn');
    await page.waitForSelector('.method[data-object="base"][data-method="Move"]');
    await page.click('#teleop-details > summary'); // folded until wanted
    expect(await page.inputValue('#teleop-method')).toBe('base.Move');
    expect(await page.inputValue('#teleop-stop')).toBe('base.StopMove');
    await page.fill('#teleop-speed', '0.5');
    await page.selectOption('#teleop-rate', '10');

    // Typing W in the args editor drives nothing: only the pad listens.
    await page.click('.method[data-object="base"][data-method="Print"]');
    await page.focus('#args-input');
    await page.keyboard.press('w');
    await page.waitForTimeout(300);
    expect(await chipCount(page, 'cmd')).toBe(0);

    await page.focus('#teleop-pad');
    await page.keyboard.down('w');
    await waitFor(async () => (await chipCount(page, 'cmd')) >= 4, 10_000, 'moves at 10 Hz');
    expect(await page.getAttribute('#teleop-pad', 'data-state')).toBe('driving');
    await page.keyboard.up('w');
    await waitFor(async () => (await chipCount(page, 'halt')) === 1, 5000, 'the stop method on release');
    const cmds = await chipCount(page, 'cmd');
    await page.waitForTimeout(400);
    expect(await chipCount(page, 'cmd')).toBe(cmds); // released: nothing more goes out
    const last = JSON.parse((await page.textContent('#event-log li[data-name="cmd"] .ev-data'))!);
    expect(last).toEqual({ vx: 0.5, vyaw: 0 });

    // Deadman on focus loss: the key is still down, the pad lost focus.
    await page.keyboard.down('ArrowLeft');
    await waitFor(async () => (await chipCount(page, 'cmd')) > cmds, 5000, 'turning');
    await page.click('#history-title');
    await waitFor(async () => (await chipCount(page, 'halt')) === 2, 5000, 'the stop method on blur');
    await page.keyboard.up('ArrowLeft');
    const turned = await page.$$eval('#event-log li[data-name="cmd"] .ev-data', (els) => els.map((e) => JSON.parse(e.textContent!) as { vx: number; vyaw: number }));
    expect(turned[0]).toEqual({ vx: 0, vyaw: 1 });
    // Teleop calls stay out of the history.
    expect(await page.locator('#history-list li', { hasText: 'base.Move' }).count()).toBe(0);
  });

  it('connection trouble in plain words (the transport\'s term kept as a detail)', async () => {
    t.broker.io.of('/').disconnectSockets(true);
    await page.waitForSelector('#event-log li.system[data-name="disconnected"]');
    const row = (await page.textContent('#event-log li.system[data-name="disconnected"] .ev-data'))!;
    expect(JSON.parse(row)).toEqual({ reason: 'The broker closed the connection (it is stopping, or this tab was replaced)', detail: 'io server disconnect' });
    await waitForConnection(page, 'connected', 15_000);
  });

  it('logged no page or console errors', () => {
    expect(errors).toEqual([]);
  });
});
