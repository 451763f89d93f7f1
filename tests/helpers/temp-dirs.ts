/**
 * Temp folders for tests, removed after the test file that made them (tests/setup.ts): a
 * CI machine runs the suite again and again, and a test that fails before its own clean-up
 * would leave its folder behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folders the running test file made. */
const made: string[] = [];

/** A new temp folder, removed after the test file unless the test removes it first. */
export function tempDir(prefix = 'rc-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Remove every folder tempDir made since the last call. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Run `fn` in a new temp folder that goes as soon as it is done: for work repeated per
 * case of a property (a soak runs 100,000; left to the file's end, removing their folders
 * alone outlasted the hook's timeout).
 */
export async function inTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
