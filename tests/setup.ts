/**
 * Every test file's setup: a failing test prints the log tails of the test brokers it
 * ran against (tests/helpers/failure-logs.ts); the temp folders the file made go after
 * it (its own after-hooks run first: Vitest runs them in reverse order).
 */
import { afterAll, beforeEach } from 'vitest';
import { removeTempDirs } from './helpers/temp-dirs.js';
import { failureLogs, testStarted } from './helpers/failure-logs.js';

afterAll(() => removeTempDirs());

beforeEach(({ onTestFailed }) => {
  testStarted();
  onTestFailed(() => {
    const logs = failureLogs();
    if (logs) console.error(`The brokers' logs when the test failed:\n${logs}`);
  });
});
