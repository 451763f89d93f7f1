/**
 * `worker.sandbox: auto | bwrap | none`, resolved once at start. bubblewrap is probed
 * once per process with the same kind of sandbox a worker gets (new namespaces, a
 * /proc of its own, tmpfs folders, binds, capabilities dropped): where that cannot
 * work (a container without user namespaces, no bwrap installed) `auto` falls back to
 * `none` and says so; `bwrap` refuses to start instead.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bwrapArgs } from './bwrap.js';

export type SandboxSetting = 'auto' | 'bwrap' | 'none';
export type SandboxMode = 'bwrap' | 'none';

export interface ResolvedSandbox {
  mode: SandboxMode;
  /** Said in the banner and in /health when robot code runs unconfined. */
  warning: string | null;
}

export const BWRAP = 'bwrap';
const PROBE_TIMEOUT_MS = 10_000;

let probe: Promise<string | null> | null = null;

/** null when bubblewrap works here, else why not. Runs once per process. */
export function probeBwrap(): Promise<string | null> {
  probe ??= new Promise((resolve) => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-bwrap-probe-'));
    const args = bwrapArgs({ hide: [], expose: [], dataDir: dir, slotDir: dir, allowPaths: [], network: true });
    execFile(BWRAP, [...args, '--', process.execPath, '--version'], { timeout: PROBE_TIMEOUT_MS, env: {} }, (err, _stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (!err) return resolve(null);
      const code = (err as NodeJS.ErrnoException).code;
      resolve(code === 'ENOENT' ? 'bwrap is not installed' : (stderr.trim().split('\n')[0] || err.message).slice(0, 300));
    });
  });
  return probe;
}

export async function resolveSandbox(setting: SandboxSetting): Promise<ResolvedSandbox> {
  if (setting === 'none') {
    return { mode: 'none', warning: 'worker.sandbox is "none": robot code runs with the broker\'s own privileges (trusted code only)' };
  }
  const why = await probeBwrap();
  if (why === null) return { mode: 'bwrap', warning: null };
  if (setting === 'bwrap') throw new Error(`worker.sandbox is "bwrap" but bubblewrap does not work here: ${why}`);
  return { mode: 'none', warning: `no sandbox: bubblewrap does not work here (${why}); robot code runs with the broker's own privileges` };
}
