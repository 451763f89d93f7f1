/**
 * Security headers on every fastify answer (the panel above all: the page with the
 * STOP button), through @fastify/helmet. Helmet's defaults, tightened where the
 * panel allows it and loosened where a robot on a LAN needs it:
 *  - CSP: only our own files; the panel's inline import map by its hash (never
 *    'unsafe-inline'); no framing at all (`frame-ancestors 'none'`, and
 *    `X-Frame-Options: DENY` for old browsers); WebSockets to the same origin.
 *  - No `upgrade-insecure-requests` and no HSTS: the broker speaks plain HTTP on a
 *    robot's address; upgrading would break the panel, and HSTS pinned on a bare IP
 *    outlives the robot. TLS, where wanted, is a proxy's job.
 *  - `Referrer-Policy: no-referrer`: the panel's URL may carry `?token=`.
 */
import type { FastifyHelmetOptions } from '@fastify/helmet';
import { requireCjs } from '../../ipc/cjs.js';
import type { FastifyInstance } from 'fastify';

const { default: fastifyHelmet } = requireCjs('@fastify/helmet') as typeof import('@fastify/helmet');

export function helmetOptions(inlineScriptHashes: readonly string[]): FastifyHelmetOptions {
  return {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'", ...inlineScriptHashes],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        // 'self' covers ws:// and wss:// to the same host (CSP Level 3).
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  };
}

export async function registerSecurityHeaders(app: FastifyInstance, inlineScriptHashes: readonly string[]): Promise<void> {
  await app.register(fastifyHelmet, helmetOptions(inlineScriptHashes));
}
