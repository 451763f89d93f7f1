/** What every zip-safety test checks after a bad upload: the broker serves, the project survives, the refusal is logged. */
import { lstatSync, readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { call, callMethod, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import type { Ack } from '../../dist/ipc/protocol.js';
import { sendInPieces } from '../../dist/ipc/upload-pieces.js';

type WorkerOverrides = NonNullable<Parameters<typeof startTestBroker>[0]>['worker'];

/**
 * A test broker for upload tests. Its heartbeat deadline is roomier than the
 * harness's 3 s: a worker busy inflating on a loaded 2-core machine is not wedged.
 * (A wedged worker is still caught: a timed-out call checks the heartbeat too.)
 */
export function startZipBroker(worker: WorkerOverrides = {}): Promise<TestBroker> {
  return startTestBroker({ worker: { heartbeat_timeout: 10, ...worker } });
}

/** A project that says which version it is: the "previous project" every test checks survives. */
export function probeProject(version: string): Buffer {
  return zipFiles({
    'main.js': `exports.probe = { version: () => ${JSON.stringify(version)}, add: (a, b) => a + b };\n`,
  });
}

/** Install `probeProject(version)` and check it runs. */
export async function installProbe(c: Client, version: string): Promise<void> {
  const r = await call(c, 'update', { data: probeProject(version) });
  expect(r, JSON.stringify(r)).toMatchObject({ status: 'success', data: { entry: 'main.js' } });
  expect((await callMethod(c, 'probe', 'version')).data).toBe(version);
}

export type ErrorData = { code: string; [k: string]: unknown };

/**
 * Upload `zip` (a Buffer, or base64 text as sent), expect it refused with `code`,
 * then prove the aftermath: the refusal is in the log, the previous project
 * (`version`) still answers, and the broker takes the next command. A Buffer is sent
 * twice: whole (`update`), then in small pieces (`update_chunk`, unpacked while it
 * arrives), and both must be refused alike, with the same details.
 */
export async function expectRefused(t: TestBroker, c: Client, zip: Buffer | string, code: string, version: string, ackTimeoutMs?: number): Promise<Ack<ErrorData>> {
  const whole = await refused(t, c, code, version, () => call(c, 'update', { data: zip }, ackTimeoutMs));
  if (Buffer.isBuffer(zip) && zip.length > 0 && zip.length <= t.config.websocket.max_message_size) {
    const pieces = await refused(t, c, code, version, () => inPieces(c, zip, ackTimeoutMs));
    expect(pieces.data, 'the same refusal in pieces as whole').toEqual(whole.data);
  }
  return whole;
}

async function refused(t: TestBroker, c: Client, code: string, version: string, send: () => Promise<Ack>): Promise<Ack<ErrorData>> {
  const before = updateErrors(t, code);
  const r = (await send()) as Ack<ErrorData>;
  expect(r.status, JSON.stringify(r)).toBe('error');
  expect((r.data as ErrorData).code, r.message).toBe(code);
  await waitFor(() => updateErrors(t, code) > before, 5000, `a log line for the refused update (${code})`);
  expect((await callMethod(c, 'probe', 'version')).data).toBe(version);
  expect((await callMethod(c, 'probe', 'add', [2, 3])).data).toBe(5);
  return r;
}

/** Send `zip` in pieces of 4 KB (so the broker unpacks it ahead across many); the answer to the last piece, or the first refusal. */
export async function inPieces(c: Client, zip: Buffer, ackTimeoutMs?: number): Promise<Ack> {
  try {
    return await sendInPieces(zip, async (piece) => {
      const ack = await call(c, 'update_chunk', piece, ackTimeoutMs);
      if (ack.status !== 'success') throw ack;
      return ack;
    }, { pieceBytes: 4096 });
  } catch (err) {
    if ((err as Ack).status === 'error') return err as Ack;
    throw err;
  }
}

/** Update commands the log records as refused with `code`. */
export function updateErrors(t: TestBroker, code: string): number {
  return t.logLines().filter((l) => l.command === 'update' && l.outcome === 'error' && l.code === code).length;
}

/**
 * Every path under `dir` (relative), links not followed. The broker may be removing
 * something meanwhile (a retired worker's project slot goes as its process exits,
 * after the update's ack): what vanishes between listing and looking is left out.
 */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const name of gone(() => readdirSync(d)) ?? []) {
      const path = join(d, name);
      const stat = gone(() => lstatSync(path));
      if (!stat) continue;
      out.push(relative(dir, path));
      if (stat.isDirectory()) visit(path);
    }
  };
  visit(dir);
  return out;
}

/** `fn()`, or undefined when what it reads no longer exists (ENOENT). */
function gone<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The test's temp folder holds only what the broker is meant to write: storage,
 * logs and the ipc sockets. Storage holds only its own layout, nothing is left
 * in .staging, and no release lingers but current and .previous (once pruned).
 */
export async function expectOnlyBrokerFiles(t: TestBroker): Promise<void> {
  const top = readdirSync(t.dir).sort();
  expect(top.filter((n) => !['projects', 'logs', 'cmd.ipc', 'cb.ipc', 'robot-data'].includes(n))).toEqual([]);
  const storage = t.config.worker.storage_dir;
  const layout = readdirSync(storage).filter((n) => !['default', 'current', '.previous', '.releases', '.staging', '.rehearsal', '.slots'].includes(n));
  expect(layout).toEqual([]);
  expect(readdirSync(join(storage, '.staging'))).toEqual([]);
  // A fresh unpack thread's warm-up (it starts again after an idle spell) leaves nothing once done.
  await waitFor(() => readdirSync(join(storage, '.rehearsal')).length === 0, 10_000, 'the unpack rehearsal to be removed');
  // Releases older than .previous are pruned just after an update's answer (in the broker's queue).
  const stale = (): string[] => {
    const linked = ['current', '.previous'].filter((l) => isLink(join(storage, l))).map((l) => readlinkSync(join(storage, l)).replace('.releases/', ''));
    return readdirSync(join(storage, '.releases')).filter((n) => n !== 'package.json' && !linked.includes(n));
  };
  await waitFor(() => stale().length === 0, 10_000, `old releases to be pruned (${stale().join(', ')})`);
  expect(walk(t.dir).filter((p) => /escaped/.test(p))).toEqual([]);
}

export function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Bytes the process has passed to write(2) and friends so far (/proc/<pid>/io `wchar`). */
export function bytesWritten(pid: number): number {
  const m = /^wchar:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(m![1]);
}

/** The process's peak resident set so far, in bytes (/proc/<pid>/status `VmHWM`). */
export function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

export function workerPid(t: TestBroker): number {
  const pid = t.broker.supervisor.status().pid;
  if (!pid) throw new Error('no worker running');
  return pid;
}
