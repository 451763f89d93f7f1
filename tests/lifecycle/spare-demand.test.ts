/**
 * How many spares are wanted (server/lifecycle/spare-demand.ts), the policy alone: auto
 * grows on takes back to back that found none ready, never past the most; quiet retires
 * them all and starts auto again from one; a command wakes them. The processes behind it
 * are tests/lifecycle/spare.test.ts's.
 */
import { afterEach, expect, it } from 'vitest';
import { BURST_MS, SpareDemand } from '../../dist/server/lifecycle/spare-demand.js';
import { waitFor } from '../helpers/broker.js';

let demand: SpareDemand | null = null;
afterEach(() => demand?.stop());

function make(setting: number | 'auto', quietMs: number, canRest = () => true) {
  const calls: string[] = [];
  demand = new SpareDemand(setting, quietMs, 4, { canRest, rest: () => calls.push('rest'), wake: () => calls.push('wake') });
  return { d: demand, calls };
}

it('auto: one spare; one more per starved take within BURST_MS of the last, up to the most', () => {
  const { d } = make('auto', 0);
  expect(d.wanted).toBe(1);
  expect(d.took(true)).toBe(false); // the first take: no take before it
  expect(d.took(false)).toBe(false); // a spare was ready
  expect(d.wanted).toBe(1);
  expect([d.took(true), d.took(true), d.took(true), d.took(true), d.took(true)]).toEqual([true, true, true, false, false]);
  expect(d.wanted).toBe(4);
  expect(BURST_MS).toBeGreaterThan(1000); // a boot's time with room; a gap of seconds is not a burst
});

it('a count is kept as it is, whatever the takes', () => {
  const { d } = make(2, 0);
  for (let i = 0; i < 5; i++) expect(d.took(true)).toBe(false);
  expect(d.wanted).toBe(2);
  expect(make(0, 0).d.wanted).toBe(0);
});

it('quiet: none wanted until the next command, and auto starts again from one', async () => {
  const { d, calls } = make('auto', 60);
  d.took(true);
  d.took(true);
  expect(d.wanted).toBe(2);
  await waitFor(() => calls.includes('rest'), 5000, 'the rest');
  expect([d.wanted, d.isResting]).toEqual([0, true]);
  d.used();
  expect([d.wanted, d.isResting, calls]).toEqual([1, false, ['rest', 'wake']]);
  d.used(); // awake already: no second wake
  expect(calls).toEqual(['rest', 'wake']);
  await waitFor(() => calls.length === 3, 5000, 'the next rest');
  expect(calls).toEqual(['rest', 'wake', 'rest']);
});

it('commands keep it awake', async () => {
  const { d, calls } = make(1, 2000);
  const until = Date.now() + 500;
  while (Date.now() < until) {
    d.used();
    await new Promise((r) => setTimeout(r, 20));
  }
  expect([calls, d.wanted]).toEqual([[], 1]);
});

it('a quiet spell that cannot rest now (an operation runs) is tried again', async () => {
  let allowed = false;
  const { d, calls } = make(1, 60, () => allowed);
  await new Promise((r) => setTimeout(r, 200));
  expect([calls, d.wanted]).toEqual([[], 1]);
  allowed = true;
  await waitFor(() => calls.includes('rest'), 5000, 'the rest once allowed');
  expect(d.wanted).toBe(0);
});

it('standby_quiet 0: never rests', async () => {
  const { calls } = make('auto', 0);
  await new Promise((r) => setTimeout(r, 100));
  expect(calls).toEqual([]);
});
