import { defineConfig } from 'vitest/config';
import { OWN_PROCESS, testFiles } from './tests/file-groups.js';
import { soaking } from './tests/helpers/fuzz.js';
import LongestFirst from './tests/sequencer.js';

const ALL = ['tests/**/*.test.ts'];

export default defineConfig({
  test: {
    // Real brokers, real workers, real ZeroMQ: give them room on a 2-core machine. A soak
    // (`npm run fuzz`) runs a file for many minutes; set here, since the projects below did
    // not take `--hookTimeout` from the command line (hooks timed out at 30 s with 900000).
    testTimeout: soaking ? 3_600_000 : 30_000,
    hookTimeout: soaking ? 600_000 : 30_000,
    pool: 'forks',
    // Three files at a time on two cores: the tests wait on process starts, the disk and
    // wake-ups more than they compute (a full run kept 1.2-1.4 cores busy with two); three
    // took a quiet full run from 432 to 383 s on a machine where a file takes ~0.7 ms to create.
    maxWorkers: 3,
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
