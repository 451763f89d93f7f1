/**
 * MCAP recording of a real session, read back with @mcap/core's indexed reader: every
 * command, ack and push in order, stamped with the broker's own times (as /monitor saw
 * them); zstd chunks; rotation by size; a queue forced full writes its drops into the
 * file and /stats; the `record` event and the /recordings routes.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack, RecordResult } from '../../dist/ipc/protocol.js';
import { call, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { connectMonitor, get, type Monitor, type Seen } from '../observability/helpers.js';
import { ns, readMcap } from './mcap.js';

const PROBE = `'use strict';
exports.probe = {
  flood(n) { for (let i = 0; i < n; i++) pushMessage('tick', { i }); return n; },
  noise(n) { for (let i = 0; i < n; i++) pushMessage('noise', { i, s: Math.random().toString(36).repeat(4) }); return n; },
  echo(x) { return x; },
};
`;

let a: TestBroker; // recording switched by the record event, files rotate past 64 KiB
let b: TestBroker; // recording from start-up, a queue of one byte: everything dropped
let client: Client;
let monitor: Monitor;
let seen: Seen;

type Emitter = { timeout(ms: number): { emitWithAck(e: string, p?: unknown): Promise<Ack<RecordResult>> } };
const record = (c: Client, payload: unknown) => (c as unknown as Emitter).timeout(20_000).emitWithAck('record', payload);

beforeAll(async () => {
  [a, b] = await Promise.all([
    startTestBroker({ recording: { max_bytes: 65_536 } }),
    startTestBroker({ recording: { enabled: true, max_queue_bytes: 1 } }),
  ]);
  client = await a.connect();
  expect((await call(client, 'update', { data: zipFiles({ 'main.js': PROBE }) })).status).toBe('success');
  ({ monitor, seen } = await connectMonitor(a.url, a.token));
});

afterAll(async () => {
  monitor?.close();
  await Promise.all([a?.close(), b?.close()]);
});

describe('a recording', () => {
  it('holds every command, ack and push of the session in order, with the broker\'s own timestamps', async () => {
    const on = await record(client, { on: true });
    expect(on.status).toBe('success');
    const started = on.status === 'success' ? on.data : null;
    expect(started?.on).toBe(true);
    expect(started?.file).toMatch(/^robot-control-\d{8}-\d{6}-\d{3}\.mcap$/);
    const mark = seen.length;

    expect((await call(client, 'process', { params: { object: 'probe', method: 'echo', args: [{ hello: 1, text: 'Größe · ロボット · 🤖' }] } })).status).toBe('success'); // UTF-8 of 2, 3 and 4 bytes
    expect((await call(client, 'process', { params: { object: 'probe', method: 'flood', args: [300] } })).status).toBe('success');
    expect((await call(client, 'process', { params: { object: 'nope', method: 'x' } })).status).toBe('error');
    await waitFor(() => seen.filter((s) => s.event === 'push').length >= 300, 10_000, 'the monitor to see the flood');

    const off = await record(client, { on: false });
    expect(off.status).toBe('success');
    const done = off.status === 'success' ? off.data : null;
    expect(done).toMatchObject({ on: false, file: started!.file, dropped: 0 });

    const { reader, messages, metadata } = await readMcap(join(a.config.recording.dir, done!.file!));
    // What /monitor saw between switching on and off is exactly what the file holds, in order.
    const expected = seen
      .slice(mark)
      .filter((s) => ['command', 'ack', 'push'].includes(s.event))
      .map((s) => ({
        topic: s.event === 'push' ? String(s.data.event) : `/${s.event}`,
        logTime: ns(s.data.at as number),
        data: s.event === 'push' ? s.data.data : s.data,
      }));
    const got = messages.filter((m) => m.topic !== 'worker_status').map(({ topic, logTime, data }) => ({ topic, logTime, data }));
    expect(got).toEqual(expected);
    expect(got.filter((m) => m.topic === 'tick').map((m) => (m.data as { i: number }).i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    for (const m of messages) expect(m.publishTime).toBe(m.logTime);
    for (let i = 1; i < messages.length; i++) expect(messages[i]!.sequence).toBe(messages[i - 1]!.sequence + 1);
    expect(messages.find((m) => m.topic === '/command')?.source).toBe('broker');
    expect(messages.find((m) => m.topic === 'tick')?.source).toBe('robot');

    // Chunked, indexed, zstd; the counts and the time range in the summary.
    expect(reader.chunkIndexes.length).toBeGreaterThan(0);
    expect(reader.chunkIndexes.every((c) => c.compression === 'zstd')).toBe(true);
    expect(Number(reader.statistics!.messageCount)).toBe(messages.length);
    expect(reader.statistics!.messageStartTime).toBe(messages[0]!.logTime);
    expect(metadata.map((m) => m.name)).toEqual(['robot-control.session', 'robot-control.summary']);
    expect(metadata[0]!.values).toMatchObject({ reason: 'record event', part: '1' });
    expect(metadata[1]!.values).toMatchObject({ dropped: '0', messages: String(messages.length) });
  });

  it('rotates past recording.max_bytes, and every part reads back', async () => {
    const on = await record(client, { on: true });
    expect(on.status).toBe('success');
    expect((await call(client, 'process', { params: { object: 'probe', method: 'noise', args: [4000] } })).status).toBe('success');
    await waitFor(async () => ((await get<{ recording: { messages: number } }>(a.url, '/stats', a.token)).json.recording.messages ?? 0) >= 4002, 15_000, 'the writer');
    const off = await record(client, { on: false });
    const files = off.status === 'success' ? off.data.files : [];
    expect(files.length).toBeGreaterThan(1);
    let noise: number[] = [];
    for (const [i, f] of files.entries()) {
      const { messages, metadata } = await readMcap(join(a.config.recording.dir, f));
      expect(metadata[0]!.values.part).toBe(String(i + 1));
      noise = noise.concat(messages.filter((m) => m.topic === 'noise').map((m) => (m.data as { i: number }).i));
    }
    expect(noise).toEqual(Array.from({ length: 4000 }, (_, i) => i));
  });

  it('answers a bad record payload with E_INVALID_PAYLOAD', async () => {
    const bad = await record(client, { on: 'yes' });
    expect(bad.status === 'error' && bad.data.code).toBe('E_INVALID_PAYLOAD');
    const none = await (client as unknown as Emitter).timeout(5000).emitWithAck('record');
    expect(none.status === 'error' && none.data.code).toBe('E_INVALID_PAYLOAD');
  });
});

describe('a full queue', () => {
  it('drops events instead of waiting, counts them in /stats and writes them into the file', async () => {
    const c = await b.connect();
    expect((await call(c, 'update', { data: zipFiles({ 'main.js': PROBE }) })).status).toBe('success');
    expect((await call(c, 'process', { params: { object: 'probe', method: 'flood', args: [200] } })).status).toBe('success');
    // update + process: 2 commands, 2 acks, 200 pushes, and the worker's status changes.
    await waitFor(async () => ((await get<{ recording: { dropped: number } }>(b.url, '/stats', b.token)).json.recording.dropped ?? 0) >= 204, 10_000, 'the drops');
    const off = await record(c, { on: false });
    expect(off.status).toBe('success');
    const result = off.status === 'success' ? off.data : null;
    const { messages, metadata } = await readMcap(join(b.config.recording.dir, result!.file!));
    expect(messages).toEqual([]);
    const drops = metadata.filter((m) => m.name === 'robot-control.drops');
    expect(drops.length).toBeGreaterThan(0);
    const counted = drops.reduce((sum, d) => sum + Number(d.values.count), 0);
    expect(counted).toBe(result!.dropped);
    expect(Number(drops.at(-1)!.values.total)).toBe(result!.dropped);
    expect(metadata.find((m) => m.name === 'robot-control.session')!.values.reason).toBe('recording.enabled');
    expect(metadata.find((m) => m.name === 'robot-control.summary')!.values.dropped).toBe(String(result!.dropped));
    await b.closeClients();
  });

  it('answers E_RECORDING_FAILED when recording.dir cannot be written, and serves on', async () => {
    // The recordings "folder" becomes a file: nothing can be created in it.
    const dir = b.config.recording.dir;
    renameSync(dir, `${dir}.old`);
    writeFileSync(dir, 'x');
    const c = await b.connect();
    const r = await record(c, { on: true });
    expect(r.status === 'error' && r.data.code).toBe('E_RECORDING_FAILED');
    expect((await call(c, 'process', { params: { object: 'probe', method: 'echo', args: [1] } })).status).toBe('success');
    await b.closeClients();
  });
});

describe('GET /recordings', () => {
  it('lists, summarises and pages through the finished recordings, with the token', async () => {
    const list = await get<{ files: Array<{ name: string; active: boolean }>; recording: { active: boolean } }>(a.url, '/recordings', a.token);
    expect(list.status).toBe(200);
    expect(list.json.recording.active).toBe(false);
    const name = list.json.files.at(-1)!.name; // the oldest: the first test's
    const info = await get<{ messages: number; channels: Array<{ topic: string; messages: number }>; chunks: { compression: Record<string, number> } }>(a.url, `/recordings/info?name=${name}`, a.token);
    expect(info.status).toBe(200);
    expect(info.json.channels.find((c) => c.topic === 'tick')?.messages).toBe(300);
    expect(Object.keys(info.json.chunks.compression)).toEqual(['zstd']);

    const all: Array<{ topic: string; at: number }> = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { json: { messages: Array<{ topic: string; at: number }>; next: string | null } } = await get(a.url, `/recordings/messages?name=${name}&limit=37${cursor ? `&cursor=${cursor}` : ''}`, a.token);
      expect(page.json.messages.length).toBeLessThanOrEqual(37);
      all.push(...page.json.messages);
      cursor = page.json.next;
    }
    expect(all.length).toBe(info.json.messages);
    const { messages } = await readMcap(join(a.config.recording.dir, name));
    expect(all.map((m) => m.topic)).toEqual(messages.map((m) => m.topic));

    expect((await get(a.url, '/recordings')).status).toBe(401);
    expect((await get(a.url, `/recordings/messages?name=${name}`, 'wrong')).status).toBe(401);
    expect((await get(a.url, '/recordings/info?name=../etc/passwd', a.token)).json).toMatchObject({ code: 'E_INVALID_PAYLOAD' });
    expect((await get(a.url, '/recordings/info?name=nothing.mcap', a.token)).json).toMatchObject({ code: 'E_NO_RECORDING' });
    expect((await get(a.url, `/recordings/messages?name=${name}&cursor=zzz`, a.token)).json).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'cursor' });
    writeFileSync(join(a.config.recording.dir, 'garbage.mcap'), 'not an mcap file at all');
    expect((await get(a.url, '/recordings/info?name=garbage.mcap', a.token)).json).toMatchObject({ code: 'E_NO_RECORDING' });

    // The file being written is listed, but not served until it is finished.
    const on = await record(client, { on: true });
    const active = on.status === 'success' ? on.data.file! : '';
    const listed = await get<{ files: Array<{ name: string; active: boolean }> }>(a.url, '/recordings', a.token);
    expect(listed.json.files.find((f) => f.name === active)?.active).toBe(true);
    expect((await get(a.url, `/recordings/messages?name=${active}`, a.token)).status).toBe(404);
    await record(client, { on: false });
  });
});
