/**
 * Malformed requests against the real server process: each class gets a 4xx (with
 * the JSON error body wherever an HTTP answer is possible) and the broker goes on
 * serving: /health answers, a real Socket.IO `process` call works, and the process
 * is the one started. `GET /%E0%A4%A` used to kill the server (decodeURIComponent
 * threw out of a hand-written router).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callMethod, connectClient } from '../helpers/broker.js';
import { rawRequest, request, SERVER_START_MS, startServerProcess, type ServerProcess } from './raw-http.js';

let s: ServerProcess;
beforeAll(async () => {
  s = await startServerProcess();
}, SERVER_START_MS);
afterAll(async () => {
  await s?.stop();
});

async function stillServing(): Promise<void> {
  expect(s.alive(), s.output()).toBe(true);
  expect((await rawRequest(s.port, request('GET', '/health'))).status).toBe(200);
  const c = await connectClient(s.url, { token: s.token });
  try {
    expect((await callMethod(c, 'sport_client', 'GetStatus')).status).toBe('success');
  } finally {
    c.close();
  }
}

function jsonError(body: string): Record<string, unknown> {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  expect(parsed).toEqual(expect.objectContaining({ error: expect.any(String), message: expect.any(String) }));
  return parsed;
}

describe('malformed request targets', () => {
  it.each([
    ['a truncated escape in a broken UTF-8 sequence', '/%E0%A4%A'],
    ['a lone percent', '/%'],
    ['an escape that is not UTF-8', '/%C3%28'],
    ['a surrogate escape', '/%ED%A0%80'],
    ['an escaped NUL byte and a bad escape', '/%00%zz'],
  ])('%s (%s): 400 FST_ERR_BAD_URL, and the server serves on', async (_what, target) => {
    const r = await rawRequest(s.port, request('GET', target));
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(jsonError(r.body).code).toBe('FST_ERR_BAD_URL');
    await stillServing();
  });

  it.each([
    ['an empty first segment', '//'],
    ['dot segments', '/../../../etc/passwd'],
    ['escaped dot segments', '/%2e%2e/%2e%2e/etc/passwd'],
    ['an absolute-form target', 'http://x/'],
    ['an absolute-form target with a port and no path', 'http://127.0.0.1:1'],
    ['an asterisk', '*'],
    ['a path that leaves the panel', '/vendor/../../server/config.js'],
  ])('%s (%s): a 4xx JSON answer, no file outside the panel, and the server serves on', async (_what, target) => {
    const r = await rawRequest(s.port, request('GET', target));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    jsonError(r.body);
    expect(r.body).not.toContain('root:');
    await stillServing();
  });

  it('an absolute-form target for a route reaches the route', async () => {
    const r = await rawRequest(s.port, request('GET', `http://127.0.0.1:${s.port}/health`));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: 'ok' });
  });
});

describe('malformed requests', () => {
  it.each([
    ['an unknown method', 'FOO / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HPE_INVALID_METHOD'],
    ['garbage bytes', '\u0000\u0001\u00ff\u00fe garbage\r\n\r\n', 400, undefined],
    ['a non-numeric Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n', 400, 'HPE_INVALID_CONTENT_LENGTH'],
    ['a negative Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 400, 'HPE_INVALID_CONTENT_LENGTH'],
    ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, undefined],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, undefined],
    ['a huge header', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431, 'HPE_HEADER_OVERFLOW'],
    ['ten thousand headers', `GET / HTTP/1.1\r\nHost: a\r\n${'X-A: b\r\n'.repeat(10_000)}\r\n`, 431, 'HPE_HEADER_OVERFLOW'],
    ['a header with a bare LF inside', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nc\r\n\r\n', 400, undefined],
    ['an unknown HTTP version', 'GET / HTTP/9.9\r\nHost: a\r\n\r\n', 400, undefined],
  ])('%s: %s with a JSON body, and the server serves on', async (_what, bytes, status, code) => {
    // The requests without `Connection: close` are refused before they are read: the server closes.
    const r = await rawRequest(s.port, bytes);
    expect(r.status).toBe(status);
    const body = jsonError(r.body);
    if (code) expect(body.code).toBe(code);
    await stillServing();
  });

  it('a request cut off mid-headers: 400 once the peer gives up sending, and the server serves on', async () => {
    const r = await rawRequest(s.port, 'GET /health HTTP/1.1\r\nHost: a\r\nX-', { halfCloseAfterMs: 0 });
    expect(r.status).toBe(400);
    jsonError(r.body);
    await stillServing();
  });

  it('a body larger than any route takes: refused, not read', async () => {
    const r = await rawRequest(s.port, request('POST', '/health', { 'Content-Type': 'application/json' }, '{"a":"' + 'x'.repeat(100_000) + '"}'));
    expect([405, 413]).toContain(r.status);
    jsonError(r.body);
    await stillServing();
  });
});
