/** The restart policy is a pure function: tested without processes. */
import { describe, expect, it } from 'vitest';
import { decideRestart } from '../../dist/server/lifecycle/restart-policy.js';

const policy = { limit: 5, stableMs: 10_000 };

describe('decideRestart (Jupyter restarter policy)', () => {
  it('allows `limit` quick restarts in a row, then fails', () => {
    let history = { count: 0 };
    const actions: string[] = [];
    for (let i = 0; i < 7; i++) {
      const d = decideRestart(history, 200, policy);
      actions.push(d.action);
      history = d.history;
    }
    expect(actions).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'fail', 'fail']);
  });

  it('a worker that stayed up stableMs starts a fresh count', () => {
    const d = decideRestart({ count: 5 }, 10_000, policy);
    expect(d).toEqual({ action: 'restart', history: { count: 1 } });
    expect(decideRestart({ count: 5 }, 9_999, policy).action).toBe('fail');
  });

  it('a limit of 0 never restarts', () => {
    expect(decideRestart({ count: 0 }, 50_000, { limit: 0, stableMs: 10_000 }).action).toBe('fail');
  });
});
