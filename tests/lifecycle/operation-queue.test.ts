/** The one operation queue: one at a time, crash recovery first, stop cancels and aborts. */
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../dist/ipc/errors.js';
import { abortable } from '../../dist/ipc/promises.js';
import { OperationQueue } from '../../dist/server/lifecycle/operation-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('OperationQueue', () => {
  it('runs operations one at a time, in order; urgent ones go first among the waiting', async () => {
    const q = new OperationQueue();
    const log: string[] = [];
    const op = (name: string) => async () => {
      log.push(`${name}+`);
      await tick();
      log.push(`${name}-`);
      return name;
    };
    const all = [q.run('a', op('a')), q.run('b', op('b')), q.run('c', op('c'), { urgent: true })];
    expect(await Promise.all(all)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a+', 'a-', 'c+', 'c-', 'b+', 'b-']);
  });

  it('a failing operation does not stop the next', async () => {
    const q = new OperationQueue();
    const failed = q.run('bad', async () => {
      throw new Error('no');
    });
    await expect(failed).rejects.toThrow('no');
    expect(await q.run('good', async () => 1)).toBe(1);
  });

  it('close() cancels the waiting, aborts the running, and refuses new operations', async () => {
    const q = new OperationQueue();
    let sawAbort = false;
    const running = q.run('long', async (signal) => {
      try {
        await abortable(new Promise(() => {}), signal);
      } catch (err) {
        sawAbort = signal.aborted;
        throw err;
      }
    });
    const waiting = q.run('next', async () => 'ran');
    await tick();
    expect(q.current).toBe('long');
    const reason = new BrokerError('E_SHUTTING_DOWN', 'stopping');
    await q.close(reason);
    await expect(running).rejects.toBe(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(q.run('late', async () => 'ran')).rejects.toBe(reason);
    expect(sawAbort).toBe(true);
    expect(q.current).toBe(null);
  });
});
