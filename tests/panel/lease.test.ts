/**
 * The control lease in a real browser: a fresh tab beside a controlling program comes in
 * as an observer, says so, lists the methods and arms STOP with no Start; its STOP
 * (emergency_stop) halts the moving default robot; "Take control" asks before forcing;
 * and `robot-control dev` (observing, the lease only while it uploads) runs while the
 * panel drives. One broker, one browser, one tab for the file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callMethod, collect, tempDir, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { spawnCli, type Running } from '../cli/run-cli.js';
import { callFromPanel, openPanel, panelSession, waitForConnection } from './browser.js';
import type { ControlState } from '../../dist/ipc/protocol.js';

let session: Awaited<ReturnType<typeof panelSession>>;
let t: TestBroker;
let page: Page;
let driver: Client;
let dev: Running | null = null;

beforeAll(async () => {
  session = await panelSession();
  ({ t, page } = session);
});

afterAll(async () => {
  dev?.proc.kill('SIGKILL');
  await dev?.proc;
  await session?.close();
});

const moving = async () => ((await callMethod<{ moving: boolean }>(driver, 'sport_client', 'GetStatus')).data as { moving: boolean }).moving;

describe('the panel and the control lease', { timeout: 60_000 }, () => {
  it('a fresh tab beside a driving program observes, lists the methods, and its STOP halts the robot', async () => {
    driver = await t.connect({ clientId: 'driver' });
    expect((await callMethod(driver, 'sport_client', 'StandUp')).status).toBe('success');
    expect((await callMethod(driver, 'sport_client', 'Move', { vx: 0.5 })).status).toBe('success');
    expect(await moving()).toBe(true);

    await openPanel(page, t.url, t.token);
    await waitForConnection(page, 'connected');
    await page.waitForSelector('#lease-pill[data-role="observer"][data-controller="driver"]');
    expect(await page.textContent('#lease-bar')).toMatch(/You are observing\..*driver controls the robot/);
    // No Start pressed: the broker's project event listed the methods and armed STOP.
    await page.waitForSelector('.method[data-object="sport_client"][data-method="Move"]');
    await page.waitForSelector('#stop-btn[data-armed="true"]');
    expect(await page.isDisabled('#start-btn')).toBe(true);

    await page.click('#stop-btn');
    await page.waitForSelector('.toast:has-text("STOP: stopped")');
    expect(await moving()).toBe(false);
  });

  it('"Take control" asks first when someone holds it, then forces: the panel drives, the program observes', async () => {
    const control = collect<ControlState>(driver, 'control');
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.click('#lease-bar button:has-text("Take control")');
    await page.waitForSelector('#lease-pill[data-role="controller"]');
    expect(asked).toContain('"driver" controls the robot');
    expect(await page.isHidden('#lease-bar')).toBe(true);
    await waitFor(() => control.some((c) => c.role === 'observer'), 5000, 'the driver to be told it observes');
    expect((await callMethod(driver, 'sport_client', 'GetStatus')).data).toMatchObject({ code: 'E_NOT_CONTROLLER' });
    expect(await callFromPanel(page, 'sport_client', 'GetStatus')).toContain('✓');
  });

  it('dev runs while the panel drives: its upload waits for the lease, then goes out when the panel releases it', async () => {
    const dir = tempDir('rc-lease-dev-');
    writeFileSync(join(dir, 'main.js'), "exports.bot = { Ping() { return 'pong'; } };\n");
    dev = spawnCli(['dev', dir], { url: t.url, token: t.token });
    await dev.waitForLine((l) => /^upload #1 waiting: ".+" holds the robot/.test(l), 20_000);
    // Meanwhile the panel still drives the robot dev is watching.
    expect(await callFromPanel(page, 'sport_client', 'GetStatus')).toContain('✓');

    await page.click('#release-btn');
    await page.waitForSelector('#lease-pill[data-role="observer"]');
    await dev.waitForLine((l) => l.startsWith('upload #1 ok:') && l.includes('bot[Ping]'), 20_000);
    // The new project reached the panel by itself (no Start), and dev gave the lease back.
    await page.waitForSelector('.method[data-object="bot"][data-method="Ping"]');
    await page.waitForSelector('#lease-pill[data-role="observer"][data-controller=""]');
    await page.click('#lease-bar button:has-text("Take control")'); // nobody holds it: no confirm
    await page.waitForSelector('#lease-pill[data-role="controller"]');
    expect(await callFromPanel(page, 'bot', 'Ping')).toContain('✓');
    expect(await page.textContent('#result-body')).toBe('"pong"');
    expect(dev.proc.exitCode).toBeNull();
  });

  it('logged no page or console errors', () => {
    expect(session.errors).toEqual([]);
  });
});
