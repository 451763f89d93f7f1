/**
 * Watch-only mode on the /monitor namespace: the panel shows another client's
 * commands, acks and the robot's pushes as they happen, and the worker's state,
 * without taking the robot. And a busy panel offers to watch instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { callMethod, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { launchBrowser, openPanel, waitForConnection, waitForWorker, watchErrors } from './browser.js';

let t: TestBroker;
let browser: Browser;
let page: Page;
let controller: Client;

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestBroker(), launchBrowser()]);
});

afterAll(async () => {
  controller?.close();
  await browser?.close();
  await t?.close();
});

const traffic = (p: Page, text: string) => p.locator('#traffic-list li', { hasText: text });

// A browser on a shared 2-core machine: room beyond the suite's 30 s per test.
describe('watch-only mode', { timeout: 60_000 }, () => {
  it('connects to /monitor read-only, without holding the robot', async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    await openPanel(page, t.url, t.token, '&watch=1');
    await waitForConnection(page, 'connected');
    await waitForWorker(page, 'ready');
    expect(page.url()).toBe(`${t.url}/?watch=1`);
    expect(await page.textContent('#conn-pill')).toContain('watching');
    expect(await page.getAttribute('body', 'data-mode')).toBe('watch');
    expect(await page.isVisible('#stop-btn')).toBe(false);
    expect(await page.isVisible('#project-card')).toBe(false);
    expect(await page.isVisible('#traffic-card')).toBe(true);
    // The robot is free: a controlling client gets in while we watch.
    controller = await t.connect({ clientId: 'operator' });
    await page.waitForFunction(() => document.getElementById('controller-info')?.textContent?.startsWith('Controlled from'));
    expect(errors).toEqual([]);
  });

  it("shows the controller's commands with their acks, and the robot's pushes", async () => {
    expect((await callMethod(controller, 'sport_client', 'StandUp')).status).toBe('success');
    await traffic(page, 'sport_client.StandUp').locator('.t-status.tone-ok').waitFor();
    expect(await traffic(page, 'sport_client.StandUp').locator('.t-ms').textContent()).toMatch(/[\d.]+ (ms|s)/);

    expect((await callMethod(controller, 'sport_client', 'Move', { vx: 0.5 })).status).toBe('success');
    await page.waitForSelector('#event-log li[data-name="odometry"]');
    await page.waitForFunction(() => document.getElementById('plot')?.dataset.event === 'odometry' && Number(document.getElementById('plot')?.dataset.points) > 2);
    expect((await callMethod(controller, 'sport_client', 'StopMove')).status).toBe('success');

    expect((await callMethod(controller, 'nobody', 'Nothing')).status).toBe('error');
    await traffic(page, 'nobody.Nothing').locator('.t-status', { hasText: 'E_UNKNOWN_OBJECT' }).waitFor();
  });

  it('shows the robot\'s output (robot_log on /monitor) in the console pane', async () => {
    // Emitted from the broker's own /monitor namespace: the producer (the worker's output relay) is another part's.
    (t.broker.io.of('/monitor') as unknown as { emit(e: string, d: unknown): void }).emit('robot_log', { stream: 'stderr', line: 'watch me', ts: Date.now(), generation: 1 });
    await page.waitForSelector('#console-log .con-line.stderr');
    expect(await page.textContent('#console-log .con-line.stderr .con-text')).toBe('watch me');
  });

  it('shows worker restarts and the controller leaving', async () => {
    const pid = t.broker.supervisor.status().pid!;
    process.kill(pid, 'SIGKILL');
    await page.waitForFunction(
      (old) => {
        const pill = document.getElementById('worker-pill')!;
        return pill.dataset.state === 'ready' && !pill.textContent!.includes(`pid ${old}`);
      },
      pid,
      { timeout: 20_000 },
    );
    controller.close();
    await page.waitForFunction(() => document.getElementById('controller-info')?.textContent?.startsWith('No controlling client'));
  });

  it('a panel beside a controller observes, and its mode switch opens the watch view', async () => {
    controller = await t.connect({ clientId: 'operator-2' });
    const other = await (await browser.newContext()).newPage();
    await openPanel(other, t.url, t.token);
    await waitForConnection(other, 'connected');
    await other.waitForSelector('#lease-pill[data-role="observer"][data-controller="operator-2"]');
    await other.click('#mode-switch');
    await waitForConnection(other, 'connected');
    expect(other.url()).toBe(`${t.url}/?watch=1`);
    expect(await other.getAttribute('body', 'data-mode')).toBe('watch');
    await other.context().close();
  });
});
