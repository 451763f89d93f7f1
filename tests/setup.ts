/**
 * Every test file's setup: a failing test prints the log tails of the test brokers it
 * ran against (tests/helpers/failure-logs.ts).
 */
import { beforeEach } from 'vitest';
import { failureLogs, testStarted } from './helpers/failure-logs.js';

beforeEach(({ onTestFailed }) => {
  testStarted();
  onTestFailed(() => {
    const logs = failureLogs();
    if (logs) console.error(`The brokers' logs when the test failed:\n${logs}`);
  });
});
