/** The lifecycle's legal moves are data: checked here without processes. */
import { describe, expect, it } from 'vitest';
import { isLegal, TRANSITIONS, wireState, type LifecycleState } from '../../dist/server/lifecycle/states.js';

const STATES = Object.keys(TRANSITIONS) as LifecycleState[];

function reachable(from: LifecycleState): Set<LifecycleState> {
  const seen = new Set<LifecycleState>([from]);
  const todo = [from];
  while (todo.length) for (const to of TRANSITIONS[todo.pop()!]) if (!seen.has(to)) seen.add(to), todo.push(to);
  return seen;
}

describe('the state table', () => {
  it('every state is reachable from idle, and every state can reach stopped', () => {
    expect([...reachable('idle')].sort()).toEqual([...STATES].sort());
    for (const s of STATES) expect(reachable(s).has('stopped'), s).toBe(true);
  });

  it('stopped is terminal, and stopping only ends in stopped: nothing moves after stop', () => {
    expect(TRANSITIONS.stopped).toEqual([]);
    expect(TRANSITIONS.stopping).toEqual(['stopped']);
    for (const s of STATES) expect(isLegal('stopped', s)).toBe(false);
    expect(isLegal('stopped', 'restarting')).toBe(false); // the move issue #11 saw after "broker stopped"
  });

  it('every state but the two last can be stopped', () => {
    for (const s of STATES.filter((s) => s !== 'stopping' && s !== 'stopped')) expect(isLegal(s, 'stopping'), s).toBe(true);
  });

  it('a verified update promotes in place (ready -> ready) and clears failed; a crash restarts or fails', () => {
    expect(isLegal('ready', 'ready')).toBe(true);
    expect(isLegal('failed', 'ready')).toBe(true);
    expect(isLegal('ready', 'restarting')).toBe(true);
    expect(isLegal('ready', 'failed')).toBe(true);
    expect(isLegal('idle', 'ready')).toBe(false); // "ready" means a worker said so: never straight from idle
  });

  it('clients never see idle or stopping', () => {
    expect(STATES.map(wireState)).toEqual(['stopped', 'starting', 'ready', 'restarting', 'failed', 'stopped', 'stopped']);
  });
});
