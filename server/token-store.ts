/**
 * The access token, kept across restarts: an open panel, an exported
 * ROBOT_CONTROL_TOKEN and a script's config keep working after `npm start` again.
 *
 * `ROBOT_CONTROL_TOKEN` or `auth.token` win (the config already folds the first into
 * the second). Otherwise the token lives in `<storage_dir>/.token`, mode 0600, made on
 * the first start and reused; `--new-token` replaces it. Robot code never sees it: the
 * sandbox hides the storage folder from robot code.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type TokenSource = 'config' | 'stored' | 'created' | 'rotated';

export interface ResolvedToken {
  token: string;
  source: TokenSource;
  /** The token file, when the token lives in one. */
  file: string | null;
}

/** Where an unset `auth.token` is kept. */
export function tokenFile(storageDir: string): string {
  return join(storageDir, '.token');
}

/** The token kept in `file`, or null when there is none (or it is empty). */
export function readStoredToken(file: string): string | null {
  try {
    const token = readFileSync(file, 'utf8').trim();
    return token || null;
  } catch {
    return null;
  }
}

function writeToken(file: string, token: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  // 0600 from the first byte, then swapped in whole: a reader never sees half a token.
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * The token the broker runs with. `configured` is `auth.token` (with ROBOT_CONTROL_TOKEN
 * folded in); empty means: use the stored one, making it on the first start.
 */
export function resolveToken(configured: string, storageDir: string, options: { rotate?: boolean } = {}): ResolvedToken {
  if (configured) return { token: configured, source: 'config', file: null };
  const file = tokenFile(storageDir);
  const stored = options.rotate ? null : readStoredToken(file);
  if (stored) {
    // A copy restored from a backup may have lost its mode.
    chmodSync(file, 0o600);
    return { token: stored, source: 'stored', file };
  }
  mkdirSync(storageDir, { recursive: true });
  const token = randomBytes(24).toString('hex');
  writeToken(file, token);
  return { token, source: options.rotate ? 'rotated' : 'created', file };
}
