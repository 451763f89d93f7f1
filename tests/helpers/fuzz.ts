/**
 * Property-based tests (fast-check) share these settings. `npm test` runs a few
 * thousand cases per surface; `npm run fuzz` sets FUZZ_RUNS (100,000 by default)
 * for the long soak. A failure prints fast-check's seed and path; re-run it with
 * FUZZ_SEED=<seed> FUZZ_PATH=<path>.
 */
import type { Parameters } from 'fast-check';

/** Cases per property: `inTest` in npm test, FUZZ_RUNS in npm run fuzz. */
export function fuzzRuns(inTest: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : inTest;
}

/**
 * Cases for a surface whose cases are slow (each one restarts a worker): as fuzzRuns, but
 * at most `cap` in the soak, a sample that finishes in minutes rather than hours.
 */
export function sampledRuns(inTest: number, cap: number): number {
  return Math.min(fuzzRuns(inTest), cap);
}

/** True in the long soak (npm run fuzz): tests may widen their time budget. */
export const soaking = Number(process.env.FUZZ_RUNS) > 0;

/** fast-check parameters for a property of `inTest` cases, replayable from FUZZ_SEED / FUZZ_PATH. */
export function fuzzParams<T>(inTest: number): Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  return {
    numRuns: fuzzRuns(inTest),
    ...(seed ? { seed: Number(seed), path: process.env.FUZZ_PATH } : {}),
    endOnFailure: true,
    verbose: 1,
  };
}
