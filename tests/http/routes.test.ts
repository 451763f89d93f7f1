/**
 * What each path answers to each method: the panel and the API routes take GET and
 * HEAD; another method on a path that exists is a 405 with `Allow`, a path that
 * does not exist a 404; every error is the JSON `{ error, code?, message }`. And the
 * security headers the panel is served with.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { rawRequest, request } from './raw-http.js';

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

const send = (method: string, path: string, headers: Record<string, string> = {}) => rawRequest(t.broker.port, request(method, path, headers));

describe('methods and paths', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'])('%s on the panel, a panel file and each API route: 405, Allow: GET, HEAD, a JSON body', async (method) => {
    for (const path of ['/', '/index.html', '/main.js', '/vendor/socket.io.esm.min.js', '/health', '/stats', '/metrics', '/?token=x']) {
      const r = await send(method, path);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.allow, `${method} ${path}`).toBe('GET, HEAD');
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(r.body)).toEqual({ error: 'Method Not Allowed', message: expect.stringContaining(method) });
      expect(r.body).not.toContain('<html');
    }
  });

  it('a path that does not exist: 404 with a JSON body, whatever the method', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['HEAD', '/nope.js'],
      ['POST', '/nope'],
      ['GET', '/vendor/'],
      ['DELETE', '/health/x'],
    ] as const) {
      const r = await send(method, path);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      if (method !== 'HEAD') expect(JSON.parse(r.body)).toEqual({ error: 'Not Found', message: expect.stringContaining('/') });
    }
  });

  it('GET and HEAD serve the panel; HEAD has no body', async () => {
    const get = await send('GET', '/');
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toMatch(/^text\/html/);
    expect(get.body).toContain('<script type="importmap">');
    const head = await send('HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await send('GET', '/main.js')).headers['content-type']).toMatch(/javascript/);
  });

  it('/socket.io/ is engine.io\'s alone: fastify never answers it (none of its headers), anything beside it is fastify\'s', async () => {
    const handshake = await send('GET', '/socket.io/?EIO=4&transport=polling');
    expect(handshake.status).toBe(200);
    expect(handshake.body).toMatch(/^0\{"sid":"[\w-]+"/);
    expect(handshake.headers['content-security-policy']).toBeUndefined();
    const unknown = await send('GET', '/socket.io/?EIO=4&transport=carrier-pigeon');
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body)).toEqual({ code: 0, message: 'Transport unknown' }); // engine.io's own error shape
    const beside = await send('GET', '/socket.io');
    expect(beside.status).toBe(404);
    expect(beside.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('a 401 keeps the same JSON shape, with its code', async () => {
    const r = await send('GET', '/stats');
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toEqual({ error: 'Unauthorized', code: 'E_UNAUTHORIZED', message: expect.any(String) });
  });
});

describe('security headers', () => {
  it('the panel: a CSP with frame-ancestors none and the import map by hash, nosniff, no referrer, no framing', async () => {
    const r = await send('GET', '/');
    const csp = r.headers['content-security-policy']!;
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    // The import map, hashed from the file as served: allowed by exactly that hash, never by 'unsafe-inline'.
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(readFileSync(new URL('../../dist/panel/index.html', import.meta.url), 'utf8'))![1]!;
    const hash = `'sha256-${createHash('sha256').update(importMap).digest('base64')}'`;
    expect(directives.get('script-src')).toEqual(["'self'", hash]);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    // Plain HTTP on a robot's address: nothing may push the panel to https.
    expect(directives.has('upgrade-insecure-requests')).toBe(false);
    expect(r.headers['strict-transport-security']).toBeUndefined();
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });

  it('the API routes and errors carry them too', async () => {
    for (const path of ['/health', '/nope', '/stats']) {
      const r = await send('GET', path);
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
    }
  });
});
