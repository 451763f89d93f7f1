/**
 * `websocket.allowed_origins`: a Socket.IO handshake from a browser page elsewhere is
 * refused (403 on polling, no upgrade on websocket) and logged as a security event;
 * the panel's own origin, clients that send no Origin and the configured origins
 * are admitted. Both transports, through the real socket.io-client where it can set
 * the header, raw HTTP where the point is the header itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectIo } from 'socket.io-client';
import { parseConfig } from '../../dist/server/config.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { get } from '../observability/helpers.js';
import { rawRequest, request } from './raw-http.js';

const LISTED = 'https://panel.example:8443';
let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker({ websocket: { allowed_origins: [LISTED] } });
});
afterAll(async () => {
  await t?.close();
});

const handshake = (headers: Record<string, string>) => rawRequest(t.broker.port, request('GET', '/socket.io/?EIO=4&transport=polling', headers));

/** Connect over `transport` sending `origin` (none when undefined); resolves "connected" or the connect_error message. */
function dial(transport: 'polling' | 'websocket', origin: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectIo(t.url, {
      auth: { token: t.token },
      transports: [transport],
      reconnection: false,
      forceNew: true,
      extraHeaders: origin === undefined ? {} : { origin },
    });
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (err) => {
      socket.close();
      resolve(err.message);
    });
  });
}

describe('allowed origins', () => {
  it.each([
    ['no Origin (a script, the SDK)', {}],
    ['the panel\'s own origin', { Origin: 'http://127.0.0.1:PORT', Host: '127.0.0.1:PORT' }],
    ['the panel\'s own origin on a default port', { Origin: 'http://robot.local', Host: 'robot.local:80' }],
    ['the panel\'s own origin through a TLS proxy', { Origin: 'https://robot.example', Host: 'robot.example' }],
    ['a configured origin', { Origin: LISTED }],
  ])('admits %s', async (_what, headers) => {
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('PORT', String(t.broker.port))]));
    const r = await handshake(h);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^0\{"sid"/);
  });

  it.each([
    ['another site', 'http://evil.example'],
    ['another port on the same host', 'http://127.0.0.1:1'],
    ['a host that merely ends like this one', 'http://evil127.0.0.1:PORT'],
    ['a sandboxed frame or a file:// page', 'null'],
    ['garbage', 'not an origin \u00ff'],
  ])('refuses %s with 403, before any Socket.IO', async (_what, origin) => {
    const r = await handshake({ Origin: origin.replace('PORT', String(t.broker.port)), Host: `127.0.0.1:${t.broker.port}` });
    expect(r.status).toBe(403);
    expect(r.body).toContain('origin not allowed');
  });

  it('the real client: refused from elsewhere on both transports, admitted from the panel\'s origin and without one', async () => {
    const own = `http://127.0.0.1:${t.broker.port}`;
    for (const transport of ['polling', 'websocket'] as const) {
      expect(await dial(transport, 'http://evil.example'), transport).not.toBe('connected');
      expect(await dial(transport, own), transport).toBe('connected');
      expect(await dial(transport, undefined), transport).toBe('connected');
      await waitFor(() => t.broker.io.of('/').sockets.size === 0, 5000, 'the client to be released');
    }
  });

  it('logs each refusal as a security event and counts it in /stats', async () => {
    const before = ((await get(t.url, '/stats', t.token)).json as { security: { authFailures: Record<string, number> } }).security.authFailures.origin ?? 0;
    expect((await handshake({ Origin: 'http://attacker.example' })).status).toBe(403);
    const stats = (await get(t.url, '/stats', t.token)).json as { security: { authFailures: Record<string, number> } };
    expect(stats.security.authFailures.origin).toBe(before + 1);
    await waitFor(
      () => t.logLines().some((l) => l.event === 'auth_failed' && l.surface === 'origin' && String(l.reason).includes('http://attacker.example')),
      5000,
      'the auth_failed line',
    );
  });

  it('"*" admits any origin', async () => {
    const any = await startTestBroker({ websocket: { allowed_origins: ['*'] } });
    try {
      const r = await rawRequest(any.broker.port, request('GET', '/socket.io/?EIO=4&transport=polling', { Origin: 'http://elsewhere.example' }));
      expect(r.status).toBe(200);
    } finally {
      await any.close();
    }
  });

  it('the config refuses what is not an origin', () => {
    for (const bad of ['evil.example', 'http://x/path', 'ftp://x', 'http://x/?q', '']) {
      expect(() => parseConfig({ websocket: { allowed_origins: [bad] } }, '/tmp', {}), bad).toThrow(/websocket\.allowed_origins\.0/);
    }
    expect(parseConfig({ websocket: { allowed_origins: ['http://x:81/', '*'] } }, '/tmp', {}).websocket.allowed_origins).toEqual(['http://x:81/', '*']);
    expect(parseConfig({}, '/tmp', {}).websocket).toMatchObject({ allowed_origins: [], auth_timeout: 5 });
  });
});
