/** Every error code is listed once (ipc/errors.ts), documented (docs/ERRORS.md), and nothing uses an unlisted one. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, ERROR_CODES } from '../dist/ipc/errors.js';

const ALL = [...Object.keys(ERROR_CODES), ...Object.keys(CLIENT_ERROR_CODES)];

const root = new URL('../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|py)$/.test(n) ? [p] : [];
  });
}

it('documents every code (broker and client side) in docs/ERRORS.md, and documents no code that does not exist', () => {
  const doc = readFileSync(join(root, 'docs/ERRORS.md'), 'utf8');
  for (const code of ALL) expect(doc, code).toMatch(new RegExp(`\\b${code}\\b`));
  for (const [m] of doc.matchAll(/\bE_[A-Z_]+\b/g)) expect(ALL, m).toContain(m);
});

it('uses no code in the source that is not listed', () => {
  for (const file of ['ipc', 'server', 'worker', 'client', 'cli'].flatMap((d) => {
    try {
      return sources(join(root, d));
    } catch {
      return [];
    }
  })) {
    for (const [m] of readFileSync(file, 'utf8').matchAll(/['"](E_[A-Z_]+)['"]/g)) {
      expect(ALL, `${m} in ${file}`).toContain(m.slice(1, -1));
    }
  }
});
