/**
 * The control panel's files (dist/panel, built by `npm run build`) at `/`, through
 * @fastify/static (which keeps every path inside the folder), GET and HEAD only.
 * The panel's one inline script (the import map in index.html) is allowed by its
 * hash in the Content-Security-Policy: `inlineScriptHashes` reads it at start-up.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { requireCjs } from '../../ipc/cjs.js';
import type { FastifyInstance } from 'fastify';

const { default: fastifyStatic } = requireCjs('@fastify/static') as typeof import('@fastify/static');

/** `'sha256-…'` CSP sources for every inline `<script>` (one without `src`) in the panel's index.html. */
export function inlineScriptHashes(panelDir: string): string[] {
  let html: string;
  try {
    html = readFileSync(resolve(panelDir, 'index.html'), 'utf8');
  } catch {
    return []; // no panel built: nothing inline to allow
  }
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\bsrc\s*=/i.test(m[1]!)) continue;
    hashes.push(`'sha256-${createHash('sha256').update(m[2]!, 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/**
 * True when `pathname` (as sent, percent-encoded) names a file of the panel or the
 * panel itself (`/`): the paths that answer 405 rather than 404 to other methods.
 */
export function isPanelPath(panelDir: string, pathname: string): boolean {
  if (pathname === '/') return true;
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  const root = resolve(panelDir);
  const file = resolve(root, `.${rel}`);
  if (!file.startsWith(root + sep)) return false;
  try {
    return statSync(file).isFile();
  } catch {
    return false; // ENOENT, ENOTDIR (a file used as a folder), ENAMETOOLONG, ...
  }
}

export async function registerPanel(app: FastifyInstance, panelDir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: panelDir,
    prefix: '/',
    // Rebuilt in place by `npm run build`: always revalidate, never serve a stale module.
    cacheControl: false,
    setHeaders: (reply) => void reply.header('cache-control', 'no-cache'),
    dotfiles: 'ignore',
    decorateReply: false,
    redirect: false,
    index: ['index.html'],
  });
}
