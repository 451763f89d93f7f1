import { defineConfig } from 'vitest/config';
import { OWN_PROCESS, testFiles } from './tests/file-groups.js';
import LongestFirst from './tests/sequencer.js';

const ALL = ['tests/**/*.test.ts'];

/**
 * `npm run fuzz` (FUZZ_RUNS set): a soak's file runs for many minutes. Set here, since the
 * projects below do not take `--testTimeout` / `--hookTimeout` from the command line (a
 * soak's hooks timed out at 30 s with `--hookTimeout=900000`).
 */
const soak = Number(process.env.FUZZ_RUNS) > 0;

export default defineConfig({
  test: {
    // Real brokers, real workers, real ZeroMQ: give them room on a 2-core machine.
    testTimeout: soak ? 3_600_000 : 30_000,
    hookTimeout: soak ? 600_000 : 30_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    sequence: { sequencer: LongestFirst },
    // One Chromium for the run, launched when the first panel test asks (tests/panel/chromium.ts).
    globalSetup: ['tests/panel/chromium.ts'],
    // A failing test prints the logs of the brokers it ran against.
    setupFiles: ['tests/setup.ts'],
    // The tests import the compiled broker (dist/) as plain ES modules: Node loads them
    // natively instead of Vite transforming each one again in every test file's fork
    // (measured: 1.7 s -> 0.5 s to import the broker helpers, per file).
    server: { deps: { external: [/\/dist\//] } },
    // Which files get a process of their own, and why: tests/file-groups.ts.
    projects: [
      { extends: true, test: { name: 'own-process', include: testFiles(OWN_PROCESS) } },
      { extends: true, test: { name: 'shared', include: ALL, exclude: testFiles(OWN_PROCESS), isolate: false } },
    ],
  },
});
