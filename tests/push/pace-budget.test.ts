/**
 * The controller's hold on the pushes is a budget (server/push/pace.ts), spent while held
 * and earned back while they flow: a controller that keeps the pushes waiting, even in
 * short holds, stops being waited for once it is spent (the worker's queue cannot grow
 * without end), and is waited for again once it has caught up. The Pacer on its own, with
 * a plain object for the controller's buffer.
 */
import { describe, expect, it } from 'vitest';
import type { Feed } from '../../dist/server/push/feed.js';
import { Pacer } from '../../dist/server/push/pace.js';

const HOLD_MS = 100;
const THRESHOLD = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function controller(backlog: number): Feed & { queued: number } {
  const feed = { behind: false, queued: backlog, backlog: () => feed.queued };
  return feed as unknown as Feed & { queued: number };
}

describe('the pace budget', () => {
  it('short holds, one after another, spend it: the pushes are then taken without waiting', async () => {
    let expired = 0;
    const pacer = new Pacer(THRESHOLD, HOLD_MS, () => expired++);
    const feed = controller(THRESHOLD);
    let holds = 0;
    // Each hold ends by a drain 20 ms later (a controller that reads, slowly): never one long hold.
    for (; holds < 100; holds++) {
      const held = pacer.wait(feed);
      if (!held) break;
      await sleep(20);
      pacer.release();
      await held;
    }
    expect(expired).toBe(1);
    expect(holds).toBeGreaterThan(0);
    expect(holds).toBeLessThanOrEqual(HOLD_MS / 20 + 2); // each held at least 20 ms; a few ms earned back between them
    expect(pacer.wait(feed)).toBeUndefined(); // still backed up: not waited for
  });

  it('a hold that outlasts the budget ends by itself; once caught up and rested, the controller is waited for again', async () => {
    let expired = 0;
    const pacer = new Pacer(THRESHOLD, HOLD_MS, () => expired++);
    const feed = controller(THRESHOLD);
    const held = pacer.wait(feed);
    expect(held).toBeInstanceOf(Promise);
    await held; // no drain: the budget's timer ends it
    expect(expired).toBe(1);
    expect(pacer.wait(feed)).toBeUndefined();
    feed.queued = 0; // caught up
    expect(pacer.wait(feed)).toBeUndefined();
    await sleep(HOLD_MS / 2); // earned back while the pushes flow
    feed.queued = THRESHOLD;
    const again = pacer.wait(feed);
    expect(again).toBeInstanceOf(Promise);
    pacer.release();
    await again;
  });

  it('0 turns pacing off', () => {
    const pacer = new Pacer(THRESHOLD, 0, () => {});
    expect(pacer.wait(controller(THRESHOLD * 100))).toBeUndefined();
  });
});
