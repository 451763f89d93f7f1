/**
 * `robot-control record` as a real child process against a real broker: it records from
 * /monitor (beside a controller, which keeps the robot) until Ctrl-C, and `--info`
 * summarises the file, a finished one and one cut short.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestBroker, tempDir, waitFor, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';
import { cli, spawnCli } from '../cli/run-cli.js';
import { connectMonitor } from '../observability/helpers.js';
import { describeRecording } from '../../dist/cli/record.js';
import { readMcap } from './mcap.js';

const PROBE = `'use strict';
exports.probe = { flood(n) { for (let i = 0; i < n; i++) pushMessage('tick', { i }); return n; } };
`;

let t: TestBroker;
let dir: string;

beforeAll(async () => {
  t = await startTestBroker();
  dir = tempDir('rc-record-');
});

afterAll(async () => {
  await t?.close();
});

describe('robot-control record', { timeout: 90_000 }, () => {
  it('records commands, acks and pushes from /monitor while another client controls, until Ctrl-C', async () => {
    const out = join(dir, 'session.mcap');
    const rec = spawnCli(['record', '--out', out], { url: t.url, token: t.token });
    // A node process starting and connecting: slow on a loaded 2-core machine.
    await waitFor(() => rec.stderr().includes('recording'), 30_000, 'the recorder to connect');
    const { monitor, seen } = await connectMonitor(t.url, t.token);
    const c = await t.connect();
    expect((await call(c, 'update', { data: zipFiles({ 'main.js': PROBE }) })).status).toBe('success');
    expect((await call(c, 'process', { params: { object: 'probe', method: 'flood', args: [50] } })).status).toBe('success');
    await t.closeClients();
    // Our own monitor has the last ack: the broker sent it to the recorder too (which syncs before closing).
    await waitFor(() => seen.filter((s) => s.event === 'ack').length >= 2, 5000, 'the acks on /monitor');
    rec.proc.kill('SIGINT');
    const done = await rec.proc;
    expect(done.exitCode).toBe(0);
    const summary = JSON.parse(rec.lines.find((l) => l.startsWith('{'))!) as { file: string; messages: number; dropped: number };
    expect(summary).toMatchObject({ file: out, dropped: 0 });

    const { messages } = await readMcap(out);
    expect(messages.length).toBe(summary.messages);
    expect(messages.filter((m) => m.topic === '/command').map((m) => (m.data as { command: string }).command)).toEqual(['update', 'process']);
    expect(messages.filter((m) => m.topic === '/ack').map((m) => (m.data as { status: string }).status)).toEqual(['success', 'success']);
    expect(messages.filter((m) => m.topic === 'tick').map((m) => (m.data as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(messages.some((m) => m.topic === 'worker_status')).toBe(true);

    // --info: the same file summarised, as JSON and as text.
    const info = await cli(['record', '--info', out, '--json']);
    expect(info.exitCode).toBe(0);
    const parsed = JSON.parse(info.stdout) as { indexed: boolean; messages: number; channels: Array<{ topic: string; messages: number }>; drops: { total: number }; chunks: { compression: Record<string, number> } };
    expect(parsed).toMatchObject({ indexed: true, messages: summary.messages, drops: { total: 0 } });
    expect(parsed.channels.find((ch) => ch.topic === 'tick')?.messages).toBe(50);
    expect(Object.keys(parsed.chunks.compression)).toEqual(['zstd']);
    const text = describeRecording(JSON.parse(info.stdout));
    expect(text).toMatch(/messages\s+\d+ in \d+ channels/);
    expect(text).toMatch(/tick\s+robot\s+50/);

    // A file whose writer never finished it (no index): read through, and said so.
    const cut = join(dir, 'cut.mcap');
    const bytes = readFileSync(out);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 200));
    const partial = await cli(['record', '--info', cut, '--json']);
    expect(partial.exitCode).toBe(0);
    expect(JSON.parse(partial.stdout)).toMatchObject({ indexed: false });
    monitor.close();
  });

  it('exits 1 with E_UNAUTHORIZED and leaves no file on a wrong token; 2 on usage errors', async () => {
    const out = join(dir, 'refused.mcap');
    const refused = await cli(['record', '--out', out, '--wait', '5'], { url: t.url, token: 'wrong' });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('E_UNAUTHORIZED');
    expect(() => readFileSync(out)).toThrow();
    const exists = await cli(['record', '--out', join(dir, 'session.mcap')], { url: t.url, token: t.token });
    expect(exists.exitCode).toBe(2);
    expect(exists.stderr).toContain('exists');
  });
});
