/**
 * Unpacking runs in a worker_threads thread of the server with its own heap limit
 * (server/storage/unpack-thread.ts): what goes wrong there, an archive's error or the
 * thread running out of memory, is a coded error for that update, never the server's
 * end, and the next unpack works.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { UnpackThread } from '../../dist/server/storage/unpack-thread.js';
import { tempDir } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

const limits = { maxUnpackedBytes: 64 * 1024 * 1024, maxEntries: 10_000 };

it('unpacks in a thread; a broken archive and an out-of-memory thread are coded errors; the next unpack works', async () => {
  const good = zipFiles({ 'main.js': 'exports.x = {};\n', 'lib/a.txt': 'a' });
  const dir = tempDir('rc-unpack-');
  const thread = new UnpackThread();
  expect(await thread.unpack(good, join(dir, 'one'), limits, 60_000)).toEqual({ files: 2, bytes: 17 });
  expect(readFileSync(join(dir, 'one', 'lib', 'a.txt'), 'utf8')).toBe('a');
  await expect(thread.unpack(Buffer.from('not a zip at all'), join(dir, 'two'), limits, 60_000)).rejects.toMatchObject({ code: 'E_INVALID_ZIP' });
  // A deadline too short: the thread is given up on, and the next job gets a fresh one.
  await expect(thread.unpack(good, join(dir, 'late'), limits, 0)).rejects.toMatchObject({ code: 'E_TIMEOUT' });
  expect(await thread.unpack(good, join(dir, 'four'), limits, 60_000)).toEqual({ files: 2, bytes: 17 });
  await thread.close();

  // A heap far too small for the thread: it dies of it, the server does not.
  const starved = new UnpackThread(2);
  await expect(starved.unpack(good, join(dir, 'three'), limits, 60_000)).rejects.toMatchObject({ code: 'E_ZIP_LIMIT', details: { limit: 'memory' } });
  expect(readdirSync(dir).filter((n) => n !== 'late').sort()).toEqual(['four', 'one']);
});
