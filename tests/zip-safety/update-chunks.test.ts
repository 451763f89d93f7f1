/**
 * `update_chunk`: a project ZIP in pieces, into a real broker over a real
 * socket.io-client. The pieces make one update (one log line, as `update`); a piece
 * out of place is refused with the offset expected and the upload goes on from there;
 * an oversized upload is refused at its first piece; a refused or abandoned upload
 * leaves the previous project serving. The SDK sends in pieces, and falls back to one
 * `update` for a broker that does not know them (a real Socket.IO server on port 0).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RobotClient } from '../../dist/client/index.js';
import type { Ack, UpdateChunkPayload } from '../../dist/ipc/protocol.js';
import { sendInPieces } from '../../dist/ipc/upload-pieces.js';
import { IncomingUpload, UnpackThread } from '../../dist/server/storage/unpack-thread.js';
import { UploadAssembly } from '../../dist/server/upload-assembly.js';
import { callMethod, connectClient, startTestBroker, tempDir, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { installProbe, probeProject, updateErrors, type ErrorData } from './support.js';

const MAX_MESSAGE = 256 * 1024;

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startTestBroker({ websocket: { max_message_size: MAX_MESSAGE }, worker: { heartbeat_timeout: 10 } });
  c = await t.connect();
  await installProbe(c, 'v1');
});
afterAll(async () => {
  await t?.close();
});

function piece(payload: unknown, timeoutMs = 25_000): Promise<Ack> {
  return (c.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack> }).emitWithAck('update_chunk', payload);
}

/** Send `zip` in pieces of `bytes`; the last answer. */
function inPieces(zip: Buffer, bytes: number): Promise<Ack> {
  return sendInPieces(zip, async (p: UpdateChunkPayload) => {
    const a = await piece(p);
    if (a.status !== 'success') throw Object.assign(new Error(a.message), { ack: a });
    return a;
  }, { pieceBytes: bytes });
}

async function stillV(version: string): Promise<void> {
  expect((await callMethod(c, 'probe', 'version')).data).toBe(version);
}

function code(a: Ack): string | undefined {
  return a.status === 'error' ? (a.data as ErrorData).code : undefined;
}

describe('update_chunk', () => {
  it('a ZIP in pieces is one update: answered by its last piece, logged once as `update`', async () => {
    const updates = (): number => t.logLines().filter((l) => l.event === 'command' && l.command === 'update').length;
    await waitFor(() => updates() === 1, 5000, "the install's update line"); // written by the log thread, maybe not yet
    const commandsBefore = updates();
    const zip = probeProject('v2');
    const last = await inPieces(zip, 97); // odd-sized pieces: the last one short
    expect(last, JSON.stringify(last)).toMatchObject({ status: 'success', data: { entry: 'main.js', bytes: expect.any(Number) } });
    await stillV('v2');
    await waitFor(() => updates() > commandsBefore, 5000, 'the update line');
    const lines = t.logLines().filter((l) => l.event === 'command' && l.command === 'update');
    expect(lines.length - commandsBefore).toBe(1);
    expect(lines.at(-1)).toMatchObject({ outcome: 'success' });
    // Each piece but the last is answered with the progress, and logged at debug only.
    expect(t.logLines().filter((l) => l.msg === 'update: piece received').length).toBeGreaterThan(zip.length / 97 - 2);
  });

  it('a piece out of place is refused with the offset expected; the upload goes on from there', async () => {
    const zip = probeProject('v3');
    const total = zip.length;
    const first = await piece({ offset: 0, total, data: zip.subarray(0, 100) });
    expect(first).toMatchObject({ status: 'success', data: { received: 100, total } });
    const gap = await piece({ offset: 150, total, data: zip.subarray(150, 200) });
    expect(code(gap)).toBe('E_INVALID_PAYLOAD');
    expect(gap.data).toMatchObject({ field: 'offset', expected: 100 });
    const wrongTotal = await piece({ offset: 100, total: total + 1, data: zip.subarray(100, 200) });
    expect(wrongTotal.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'total', expected: total });
    const past = await piece({ offset: 100, total, data: Buffer.concat([zip.subarray(100), Buffer.from('x')]) });
    expect(past.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'data', expected: 100 });
    const empty = await piece({ offset: 100, total, data: Buffer.alloc(0) });
    expect(empty.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'data' });
    await stillV('v2');
    const rest = await piece({ offset: 100, total, data: zip.subarray(100) });
    expect(rest, JSON.stringify(rest)).toMatchObject({ status: 'success', data: { entry: 'main.js' } });
    await stillV('v3');
  });

  it('an upload over websocket.max_message_size is refused at its first piece', async () => {
    const before = updateErrors(t, 'E_TOO_LARGE');
    const a = await piece({ offset: 0, total: MAX_MESSAGE + 1, data: Buffer.alloc(10) });
    expect(a.data).toMatchObject({ code: 'E_TOO_LARGE', bytes: MAX_MESSAGE + 1, limit: MAX_MESSAGE });
    // Nothing was started: the next piece has no upload to go on.
    const next = await piece({ offset: 10, total: MAX_MESSAGE + 1, data: Buffer.alloc(10) });
    expect(next.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'offset', expected: 0 });
    await waitFor(() => updateErrors(t, 'E_TOO_LARGE') > before, 5000, 'the refusal in the log');
    await stillV('v3');
  });

  it('a broken ZIP in pieces is refused like a whole one; the previous project keeps serving', async () => {
    const junk = Buffer.from('PK\u0003\u0004 this is not a zip at all, only looks like one'.repeat(20));
    await expect(inPieces(junk, 64)).rejects.toMatchObject({ ack: { data: { code: 'E_INVALID_ZIP' } } });
    await stillV('v3');
  });

  it('a new first piece replaces an unfinished upload; a disconnect drops it', async () => {
    const zip = probeProject('v4');
    expect(await piece({ offset: 0, total: zip.length, data: zip.subarray(0, 50) })).toMatchObject({ status: 'success' });
    expect(await piece({ offset: 0, total: zip.length, data: zip.subarray(0, 60) })).toMatchObject({ data: { received: 60 } });
    c.close();
    await t.closeClients();
    c = await t.connect();
    const orphan = await piece({ offset: 60, total: zip.length, data: zip.subarray(60) });
    expect(orphan.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'offset', expected: 0 });
    await stillV('v3');
    expect(await inPieces(zip, 1000)).toMatchObject({ status: 'success' });
    await stillV('v4');
  });

  it('an observer is refused E_NOT_CONTROLLER at its first piece', async () => {
    const observer = await connectClient(t.url, { token: t.token, role: 'observer' });
    try {
      const zip = probeProject('never');
      const a = (await (observer.timeout(10_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack> }).emitWithAck('update_chunk', {
        offset: 0,
        total: zip.length,
        data: zip,
      })) as Ack;
      expect(a.data).toMatchObject({ code: 'E_NOT_CONTROLLER' });
    } finally {
      observer.close();
    }
    await stillV('v4');
  });

  it('base64 pieces work as binary ones do', async () => {
    const zip = probeProject('v5');
    const half = Math.floor(zip.length / 2);
    expect(await piece({ offset: 0, total: zip.length, data: zip.subarray(0, half).toString('base64') })).toMatchObject({ status: 'success' });
    expect(await piece({ offset: half, total: zip.length, data: zip.subarray(half).toString('base64') })).toMatchObject({ status: 'success', data: { entry: 'main.js' } });
    await stillV('v5');
  });

  it('the SDK uploads in pieces', async () => {
    await t.closeClients(); // one controlling client at a time
    const client = new RobotClient({ url: t.url, token: t.token });
    const pieces: number[] = [];
    const count = (s: { onAny(fn: (event: string) => void): void }): void => s.onAny((event) => event === 'update_chunk' && pieces.push(1));
    t.broker.io.of('/').on('connection', count);
    try {
      await client.connect({ timeoutMs: 10_000 });
      // Stored, not deflated: more than one piece (the first is 16 KiB), under the test's 256 KiB limit.
      const archive = new AdmZip();
      archive.addFile('main.js', Buffer.from(`exports.probe = { version: () => 'sdk', add: (a, b) => a + b };\n${'// pad\n'.repeat(20_000)}`));
      archive.getEntry('main.js')!.header.method = 0;
      const big = archive.toBuffer();
      const progress: Array<[number, number]> = [];
      const result = await client.update(big, { onProgress: (received, total) => progress.push([received, total]) });
      expect(result).toMatchObject({ entry: 'main.js' });
      expect(pieces.length).toBeGreaterThan(1);
      expect(progress.length).toBe(pieces.length);
      expect(progress.at(-1)).toEqual([big.length, big.length]);
      expect(await client.call('probe', 'version')).toBe('sdk');
    } finally {
      t.broker.io.of('/').off('connection', count);
      client.close();
      await waitFor(() => t.broker.io.of('/').sockets.size === 0, 5000, 'the SDK client to be released');
      c = await t.connect();
    }
  });
});

describe('the SDK and a broker from before pieces', () => {
  it('falls back to one `update` when the broker answers E_UNKNOWN_EVENT', async () => {
    const http = createServer();
    const io = new Server(http);
    const seen: string[] = [];
    io.on('connection', (s) => {
      s.on('update_chunk', (_p: unknown, ack: (a: unknown) => void) => {
        seen.push('update_chunk');
        ack({ status: 'error', message: 'unknown event "update_chunk"', data: { code: 'E_UNKNOWN_EVENT', event: 'update_chunk' } });
      });
      s.on('update', (p: { data: Buffer }, ack: (a: unknown) => void) => {
        seen.push(`update ${p.data.length}`);
        ack({ status: 'success', message: 'ok', data: { type: 'javascript', entry: 'main.js', files: 1, bytes: p.data.length } });
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const client = new RobotClient({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, token: 'x' });
    try {
      await client.connect({ timeoutMs: 10_000 });
      const zip = probeProject('old');
      const result = await client.update(zip);
      expect(result).toMatchObject({ bytes: zip.length });
      expect(seen).toContain('update_chunk');
      expect(seen.at(-1)).toBe(`update ${zip.length}`);
    } finally {
      client.close();
      await io.close();
    }
  });
});

describe('UploadAssembly', () => {
  const limits = { maxUnpackedBytes: 1 << 20, maxEntries: 100 };
  let thread: UnpackThread;
  beforeAll(() => {
    thread = new UnpackThread();
  });
  afterAll(async () => {
    await thread.close();
  });

  it('moves each piece on to the unpack thread, which holds the upload and unpacks it', async () => {
    const zip = probeProject('assembled');
    const target = join(tempDir('rc-assembly-'), 'upload');
    const a = new UploadAssembly(100_000, (total) => thread.open(total, target, limits));
    const first = Buffer.from(zip.subarray(0, 100));
    expect(a.add('x', { offset: 0, total: zip.length, data: first })).toEqual({ received: 100, total: zip.length });
    expect(first.equals(zip.subarray(0, 100))).toBe(true); // a copy was moved; the piece itself is left alone
    const upload = a.add('x', { offset: 100, total: zip.length, data: zip.subarray(100) }) as IncomingUpload;
    expect(upload).toBeInstanceOf(IncomingUpload);
    expect(upload.received).toBe(zip.length);
    expect(await thread.unpack(upload, target, limits, 60_000)).toMatchObject({ files: 1 });
    expect(readFileSync(join(target, 'main.js'), 'utf8')).toContain('assembled');
  });

  it('drops an unfinished upload after its idle time', async () => {
    const a = new UploadAssembly(1000, (total) => thread.open(total, join(tempDir('rc-assembly-'), 'upload'), limits), 50);
    a.add('x', { offset: 0, total: 6, data: Buffer.from('abc') });
    // A wrong total is refused as such while the upload is kept; once dropped, as "start at offset 0".
    const refusedFor = (): unknown => {
      try {
        a.add('x', { offset: 3, total: 7, data: Buffer.from('d') });
      } catch (err) {
        return (err as { details?: { field?: string } }).details?.field;
      }
      return 'accepted';
    };
    expect(refusedFor()).toBe('total');
    await waitFor(() => refusedFor() === 'offset', 10_000, 'the upload to be dropped');
  });

  it('the thread removes what it unpacked of a dropped upload', async () => {
    const target = join(tempDir('rc-assembly-'), 'upload');
    const a = new UploadAssembly(1000, (total) => thread.open(total, target, limits));
    a.add('x', { offset: 0, total: 6, data: Buffer.from('abc') });
    await waitFor(() => existsSync(target), 10_000, 'the thread to make the upload its folder');
    a.dropFor('x');
    await waitFor(() => !existsSync(target), 10_000, "the dropped upload's folder to be removed");
  });
});
