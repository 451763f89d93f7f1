/**
 * Unpacking runs in a worker_threads thread of the server with its own heap limit
 * (server/storage/unpack-thread.ts): what goes wrong there, an archive's error or the
 * thread running out of memory, is a coded error for that update, never the server's
 * end, and the next unpack works. A fresh thread rehearses an unpack first, and leaves
 * nothing behind.
 */
import { readdirSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { UnpackThread } from '../../dist/server/storage/unpack-thread.js';
import { tempDir, waitFor } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

const limits = { maxUnpackedBytes: 64 * 1024 * 1024, maxEntries: 10_000 };

it('unpacks in a thread; a broken archive and an out-of-memory thread are coded errors; the next unpack works', async () => {
  const good = (): Buffer => zipFiles({ 'main.js': 'exports.x = {};\n', 'lib/a.txt': 'a' }); // each unpack may take its buffer (below)
  const dir = tempDir('rc-unpack-');
  const thread = new UnpackThread();
  expect(await thread.unpack(good(), join(dir, 'one'), limits, 60_000)).toEqual({ files: 2, bytes: 17 });
  expect(readFileSync(join(dir, 'one', 'lib', 'a.txt'), 'utf8')).toBe('a');
  await expect(thread.unpack(Buffer.from('not a zip at all'), join(dir, 'two'), limits, 60_000)).rejects.toMatchObject({ code: 'E_INVALID_ZIP' });
  // A deadline too short: the thread is given up on, and the next job gets a fresh one.
  await expect(thread.unpack(good(), join(dir, 'late'), limits, 0)).rejects.toMatchObject({ code: 'E_TIMEOUT' });
  expect(await thread.unpack(good(), join(dir, 'four'), limits, 60_000)).toEqual({ files: 2, bytes: 17 });
  await thread.close();

  // A heap far too small for the thread: it dies of it, the server does not.
  const starved = new UnpackThread({ heapMb: 2 });
  await expect(starved.unpack(good(), join(dir, 'three'), limits, 60_000)).rejects.toMatchObject({ code: 'E_ZIP_LIMIT', details: { limit: 'memory' } });
  // One that dies with no job (kept ready, it ran out of memory on its own) is not handed the next job, which gets a fresh thread, not a wait for its deadline.
  starved.warm();
  await waitFor(() => starved.threadId === null, 20_000, 'the starved idle thread to be let go');
  await expect(starved.unpack(good(), join(dir, 'five'), limits, 60_000)).rejects.toMatchObject({ code: 'E_ZIP_LIMIT', details: { limit: 'memory' } });
  expect(readdirSync(dir).filter((n) => n !== 'late').sort()).toEqual(['four', 'one']);
});

it('a fresh thread rehearses an unpack (whole and in pieces) in a folder of its own, then removes it; one ended mid-rehearsal leaves nothing either', async () => {
  const dir = tempDir('rc-rehearsal-');
  const made: string[] = [];
  const watcher = watch(dir, (_event, name) => {
    if (name) made.push(String(name));
  });
  const thread = new UnpackThread({ rehearsalDir: dir });
  try {
    thread.warm();
    await waitFor(() => made.some((n) => n.startsWith('robot-control-unpack-')) && readdirSync(dir).length === 0, 20_000, 'the rehearsal folder to come and go');
    const out = tempDir('rc-unpack-');
    expect(await thread.unpack(zipFiles({ 'main.js': 'exports.x = {};\n' }), join(out, 'one'), limits, 60_000)).toEqual({ files: 1, bytes: 16 });
    await thread.close();
    // Stopped as soon as its rehearsal folder appears (the broker stopping, an idle thread replaced): the server removes what it left.
    for (let n = 0; n < 3; n++) {
      made.length = 0;
      thread.warm();
      await waitFor(() => made.length > 0, 20_000, 'a fresh thread to start its rehearsal');
      await thread.close();
      await waitFor(() => readdirSync(dir).length === 0, 10_000, 'the rehearsal of a thread ended in the middle of it to be removed');
    }
  } finally {
    watcher.close();
    await thread.close();
  }
});

it('an upload that owns its memory is moved to the thread, not copied; a slice of a bigger buffer is copied and left alone', async () => {
  const dir = tempDir('rc-unpack-');
  const thread = new UnpackThread();
  try {
    const owned = zipFiles({ 'main.js': 'exports.x = {};\n', 'big.bin': 'x'.repeat(100_000) });
    expect(owned.byteOffset === 0 && owned.byteLength === owned.buffer.byteLength).toBe(true);
    expect(await thread.unpack(owned, join(dir, 'moved'), limits, 60_000)).toEqual({ files: 2, bytes: 100_016 });
    expect(owned.byteLength).toBe(0); // moved: the server holds no second copy while the thread unpacks

    const whole = zipFiles({ 'main.js': 'exports.y = {};\n' });
    const framed = Buffer.concat([Buffer.from('head'), whole, Buffer.from('tail')]);
    const slice = framed.subarray(4, 4 + whole.length);
    expect(await thread.unpack(slice, join(dir, 'copied'), limits, 60_000)).toEqual({ files: 1, bytes: 16 });
    expect(slice.equals(whole)).toBe(true); // its neighbours' memory was not taken along
    expect(framed.subarray(0, 4).toString()).toBe('head');
    expect(readFileSync(join(dir, 'moved', 'big.bin'), 'utf8')).toHaveLength(100_000);
  } finally {
    await thread.close();
  }
});

it('a thread is kept ready; once it served and idled its idle time it is replaced by a fresh one; an upload arriving keeps it; none after close', async () => {
  const dir = tempDir('rc-unpack-');
  const thread = new UnpackThread({ idleMs: 200 });
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 600)); // three idle times: the point is that nothing happens
  try {
    expect(thread.threadId).toBeNull();
    thread.warm();
    const fresh = thread.threadId;
    expect(fresh).not.toBeNull();
    await pause();
    expect(thread.threadId).toBe(fresh); // a fresh thread holds no upload: it is kept as it is
    expect(await thread.unpack(zipFiles({ 'main.js': 'exports.x = {};\n' }), join(dir, 'one'), limits, 60_000)).toEqual({ files: 1, bytes: 16 });
    expect(thread.threadId).toBe(fresh); // the ready thread did the job
    await waitFor(() => thread.threadId !== fresh && thread.threadId !== null, 10_000, 'the used thread to be replaced by a fresh one');
    const second = thread.threadId;
    // An upload in pieces, slower than the idle time: the thread is kept while it arrives.
    const zip = zipFiles({ 'main.js': 'exports.y = {};\n' });
    const upload = thread.open(zip.length, join(dir, 'two'), limits);
    upload.append(zip.subarray(0, 10));
    await pause();
    expect(thread.threadId).toBe(second);
    upload.append(zip.subarray(10));
    expect(await thread.unpack(upload, join(dir, 'two'), limits, 60_000)).toEqual({ files: 1, bytes: 16 });
    await waitFor(() => thread.threadId !== second && thread.threadId !== null, 10_000, 'the thread to be replaced again');
    await thread.close();
    expect(thread.threadId).toBeNull();
    await pause();
    expect(thread.threadId).toBeNull(); // nothing starts a thread after close but a job
  } finally {
    await thread.close();
  }
});

it('a thread is asked to stop and exits by itself (code 0), in the middle of its rehearsal too: never terminated, which can abort the process inside zlib', async () => {
  const script = new URL('../../dist/server/storage/unpack-worker.js', import.meta.url);
  const dir = tempDir('rc-rehearsal-');
  const made = new Set<string>();
  // Its folder may come and go between two looks on a loaded machine: watched, not polled.
  const watcher = watch(dir, (_event, name) => {
    if (name) made.add(String(name));
  });
  try {
    for (let n = 0; n < 5; n++) {
      const name = `r${n}`;
      const worker = new Worker(script, { workerData: { rehearsal: join(dir, name) } });
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      // Once its rehearsal has begun in some rounds (its folder made), at once in others.
      if (n % 2 === 1) await waitFor(() => made.has(name), 20_000, 'the rehearsal to start');
      worker.postMessage({ type: 'stop' });
      expect(await exited).toBe(0); // terminate() would end it with 1
    }
  } finally {
    watcher.close();
  }
});
