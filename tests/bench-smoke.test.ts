/**
 * The bench harness end to end, tiny: every figure comes out, with samples from
 * both the broker and its floor, and the table and JSON render. Timings are never
 * asserted (the machine is shared); `npm run bench` is where they are read.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FIGURES } from '../dist/bench/figures.js';
import { runBench } from '../dist/bench/harness.js';
import { parseOptions } from '../dist/bench/options.js';
import { markdown, table } from '../dist/bench/report.js';

describe('npm run bench, smoke run', () => {
  it('produces every figure from the floors and the broker', async () => {
    const options = {
      ...parseOptions(['--quick'], {}),
      rounds: 1,
      warmupCalls: 20,
      seqCalls: 20,
      pipelinedCalls: 100,
      window: 10,
      longMs: 1000,
      shortCalls: 3,
      floodEvents: 200,
      replayEvents: 100,
      uploadRounds: 1,
      uploadMb: 1,
      idleSettleMs: 50,
      idleQuietMs: 50,
      strangerMs: 500,
      strangerFrameMb: 1,
      workerStarts: 1,
      phaseTimeoutMs: 20_000,
      out: null,
    };
    const results = await runBench(options, () => {});

    const problems = results.errors.join('\n');
    for (const def of FIGURES) {
      const f = results.figures.find((x) => x.key === def.key);
      expect(f, def.key).toBeDefined();
      expect(f!.samples.broker.length, `${def.key}: broker samples\n${problems}`).toBeGreaterThan(0);
      expect(f!.samples.floor.length, `${def.key}: floor samples\n${problems}`).toBeGreaterThan(0);
      expect(Number.isFinite(f!.broker), `${def.key}: broker value`).toBe(true);
      expect(Number.isFinite(f!.floorValue), `${def.key}: floor value`).toBe(true);
    }
    // Where the updates' time goes, read back from the broker's log.
    for (const phases of [results.updatePhases, results.uploadPhases]) expect(Object.keys(phases)).toEqual(expect.arrayContaining(['stageMs', 'loadMs', 'ackMs']));
    const text = table(results);
    for (const def of FIGURES) expect(text).toContain(def.label);
    expect(markdown(results).split('\n')).toHaveLength(FIGURES.length + 2);
    expect(JSON.parse(JSON.stringify(results)).figures).toHaveLength(FIGURES.length);
  }, 180_000);

  it('steady-state.js prints each block, the ratios and the CPU per call of every thread', async () => {
    const script = join(import.meta.dirname, '../dist/bench/steady-state.js');
    const { stdout } = await promisify(execFile)(process.execPath, [script, '--blocks', '1', '--block', '200', '--warm', '50'], { timeout: 120_000 });
    expect(stdout).toMatch(/^block 1: broker p50 \d+ p99 \d+ µs \| chain p50 \d+ p99 \d+ µs$/m);
    expect(stdout).toMatch(/^broker \/ chain, median over blocks: p50 [\d.]+x, p99 [\d.]+x$/m);
    // The server's main thread and its ZeroMQ I/O thread, in the broker and in the chain (0.0 when
    // under one 10 ms tick of /proc over so few calls, as it was in a loaded CI run).
    expect(stdout).toMatch(/^broker pid \d+ CPU per call: .*ZMQbg\/IO\/0#\d+ [\d.]+ µs/m);
    expect(stdout).toMatch(/^chain pid \d+ CPU per call: node#\d+ [\d.]+ µs/m);
  }, 180_000);
});
