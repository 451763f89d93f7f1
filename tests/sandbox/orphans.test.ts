/**
 * Orphan-proof workers (issue #11 part 3): when the server dies by SIGKILL, its workers
 * and everything robot code started are gone within 2 s, even while robot code spins
 * the worker's main thread (it never reads a pipe again). A real server process, a
 * real spinning project, a real kill -9; the check is every process that was below the
 * server, by pid and start time.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { call, callMethod, connectClient, waitFor } from '../helpers/broker.js';
import { fixtureZip } from '../helpers/zip.js';
import { descendants, killAll, stillRunning, withMarker } from './procs.js';
import { startServerProcess } from './server-process.js';

/** The promise: gone within 2 s of the server. */
const WITHIN_MS = 2000;
/** What a loaded 2-core CI box may add before the check itself sees it. */
const SLACK_MS = 1000;

describe.each(['bwrap', 'none'] as const)('sandbox: %s', (mode) => {
  it('a worker spinning in synchronous code, and its children, exit when the server is killed -9', async () => {
    const s = await startServerProcess({ sandbox: mode });
    const marker = String(100_000 + Math.floor(Math.random() * 800_000));
    try {
      const c = await connectClient(s.url, { token: s.token });
      expect((await call(c, 'update', { data: fixtureZip('spinner') })).status).toBe('success');
      // Under none a child that leaves the process group escapes (docs/SECURITY.md): only the sandbox catches it.
      expect((await callMethod(c, 'spinner', 'go', [marker, mode === 'bwrap'])).data).toBe('spinning');
      await waitFor(() => withMarker(`1000.${marker}`).length === (mode === 'bwrap' ? 2 : 1), 10_000, 'the children to run');
      c.close();
      const below = descendants(s.pid);
      expect(below.length).toBeGreaterThanOrEqual(3); // the worker, its spare, the robot's children (and bwrap's own)
      const killedAt = Date.now();
      s.proc.kill('SIGKILL');
      await waitFor(() => stillRunning(below).length === 0, WITHIN_MS + SLACK_MS, `every process below the server to exit (left: ${JSON.stringify(stillRunning(below).map((p) => p.cmdline.slice(0, 80)))})`);
      expect(Date.now() - killedAt).toBeLessThan(WITHIN_MS + SLACK_MS);
    } finally {
      s.proc.kill('SIGKILL');
      killAll(withMarker(`1000.${marker}`));
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
});
