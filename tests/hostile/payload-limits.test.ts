/**
 * Payload depth and size limits: a payload nested past websocket.max_payload_depth,
 * or call arguments past websocket.max_message_size, are answered E_INVALID_PAYLOAD
 * naming the limit, checked without recursion; a /monitor watching changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from 'zeromq';
import { call, callMethod, collect, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { connectMonitor, get, type Monitor } from '../observability/helpers.js';
import { zipFiles } from '../helpers/zip.js';
import { codeOf, nestedJson, rawCall } from './support.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startTestBroker({ websocket: { max_message_size: 1_000_000 } });
  c = await t.connect();
});
afterAll(async () => {
  await t?.close();
});

const processWith = (argsJson: string): string => `["process",{"params":{"object":"sport_client","method":"GetStatus","args":${argsJson}}}]`;

async function stillServes(): Promise<void> {
  const r = await callMethod(c, 'sport_client', 'GetStatus');
  expect(r.status, JSON.stringify(r)).toBe("success");
}

describe('depth', () => {
  it.each(['array', 'object'] as const)('args of %ss nested 100,000 deep: E_INVALID_PAYLOAD naming the limit, with no monitor', async (kind) => {
    const r = await rawCall(c, processWith(nestedJson(100_000, kind)));
    expect(r.status).toBe('error');
    expect(r.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'params.args', limit: 64 });
    await stillServes();
  });

  it('the same while a /monitor watches: the server stays up and the monitor sees the refusal', async () => {
    const { monitor, seen } = await connectMonitor(t.url, t.token);
    try {
      const r = await rawCall(c, processWith(nestedJson(100_000)));
      expect(r.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'params.args', limit: 64 });
      await stillServes();
      expect(seen.some((e) => e.event === 'ack' && (e.data.data as { code?: string }).code === 'E_INVALID_PAYLOAD')).toBe(true);
    } finally {
      (monitor as Monitor).close();
    }
  });

  it('the limit is exact: 64 levels counting the payload itself pass, 65 do not', async () => {
    // payload (1) > params (2) > args (3): args may nest 62 more levels.
    const ok = await rawCall(c, processWith(nestedJson(62)));
    expect(ok.status, JSON.stringify(ok)).toBe('success');
    const deep = await rawCall(c, processWith(nestedJson(63)));
    expect(deep.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'params.args', limit: 64 });
  });

  it.each(['update', 'start'])('a deep %s payload is refused the same way', async (event) => {
    const r = await rawCall(c, `["${event}",{"data":${nestedJson(10_000)}}]`);
    expect(codeOf(r)).toBe('E_INVALID_PAYLOAD');
    expect(r.data).toMatchObject({ field: 'data.0', limit: 64 });
    await stillServes();
  });
});

describe('size', () => {
  it('args larger than max_message_size as JSON: E_INVALID_PAYLOAD naming the limit', async () => {
    const r = await rawCall(c, processWith(JSON.stringify(['x'.repeat(1_100_000)])));
    expect(r.data).toMatchObject({ code: 'E_INVALID_PAYLOAD', field: 'params.args', limit: 1_000_000 });
    await stillServes();
  });

  it('a wide array just under the limit goes through', async () => {
    // 800,002 bytes of JSON: an object argument (an array would be spread into 400,000 positional arguments).
    const r = await rawCall(c, processWith(JSON.stringify({ xs: new Array(400_000).fill(0) })));
    expect(r.status, JSON.stringify(r).slice(0, 300)).toBe('success');
  });
});

describe('values on the way back', () => {
  it('a push nested 100,000 deep on the event channel is dropped and counted; client, monitor and server go on', async () => {
    const { monitor, seen } = await connectMonitor(t.url, t.token);
    const got = collect<string>(c, 'marker');
    const pub = new Publisher({ linger: 0 });
    pub.connect(t.config.ipc.callback_socket);
    try {
      const generation = t.broker.supervisor.currentGeneration;
      const frame = (event: string, data: string): string => `{"generation":${generation},"reqId":0,"event":"${event}","data":${data}}`;
      // PUB/SUB joins late: repeat until the marker that follows the deep push arrives.
      await waitFor(async () => {
        await pub.send(frame('deep', nestedJson(100_000)));
        await pub.send(frame('marker', '"after"'));
        return got.length > 0;
      }, 10_000, 'the marker after the deep push');
      const stats = await get<{ pushes: { unsendable: number } }>(t.url, '/stats', t.token);
      expect(stats.json.pushes.unsendable).toBeGreaterThan(0);
      await waitFor(() => seen.some((e) => e.event === 'push' && e.data.event === 'marker'), 5000, 'the monitor to see the marker');
      await stillServes();
    } finally {
      pub.close();
      (monitor as Monitor).close();
    }
  });

  it('a result nested deeper than the limit answers E_METHOD_FAILED naming it; the worker goes on', async () => {
    const project = zipFiles({
      'main.js': 'exports.deep = { make(n) { let v = 0; for (let i = 0; i < n; i++) v = [v]; return v; }, ok: () => "ok" };\n',
    });
    expect((await call(c, 'update', { data: project })).status).toBe('success');
    const r = await callMethod(c, 'deep', 'make', [3000]);
    expect(r.data).toMatchObject({ code: 'E_METHOD_FAILED', limit: 64 });
    expect((await callMethod(c, 'deep', 'make', [63])).status).toBe('success');
    expect((await callMethod(c, 'deep', 'ok')).data).toBe('ok');
  });
});
