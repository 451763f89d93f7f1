/**
 * A worker crash is told, not hidden (issue #11, part 5): the panel shows a notice that
 * robot state was reset, with the reason, and it stays (past the time any toast fades)
 * until the operator dismisses it. A real browser, a real broker,
 * a real SIGKILL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPanel, panelSession, waitForConnection, waitForWorker } from './browser.js';

let s: Awaited<ReturnType<typeof panelSession>>;
beforeAll(async () => {
  s = await panelSession();
  await s.page.clock.install(); // the test moves the page's clock past every toast's fade
});
afterAll(async () => {
  await s?.close();
});

it('a crash leaves a notice that robot state was reset, until it is dismissed', { timeout: 60_000 }, async () => {
  const { t, page, errors } = s;
  await openPanel(page, t.url, t.token);
  await waitForConnection(page, 'connected');
  await waitForWorker(page, 'ready');
  expect(await page.locator('#crash-notice').count()).toBe(0);
  const before = t.broker.supervisor.status();
  process.kill(before.pid!, 'SIGKILL');
  const notice = page.locator('#crash-notice');
  await notice.waitFor({ timeout: 20_000 });
  await page.waitForFunction((pid) => {
    const pill = document.getElementById('worker-pill')!;
    return pill.dataset.state === 'ready' && !pill.textContent!.includes(`pid ${pid}`);
  }, before.pid, { timeout: 20_000 });
  const text = await notice.textContent();
  expect(text).toContain('Robot state was reset');
  expect(text).toContain('killed by SIGKILL');
  // Well past the time the longest toast fades (8.4 s): still there.
  await page.clock.fastForward(20_000);
  expect(await notice.isVisible()).toBe(true);
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  expect(await page.locator('#crash-notice').count()).toBe(0);
  expect(errors).toEqual([]);
});
