/**
 * Loaded into the bench's server processes with NODE_OPTIONS=--import (bench --profile):
 * a CPU profile of the main thread and the time spent in GC, written at exit to
 * BENCH_PROFILE_DIR as <role>-<pid>.cpuprofile and <role>-<pid>.gc.json.
 * (--cpu-prof and --trace-gc are not allowed in NODE_OPTIONS, and the worker is
 * spawned by the supervisor, so this is how its profile is taken from outside.)
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.BENCH_PROFILE_DIR;
if (isMainThread && dir) {
  const script = basename(process.argv[1] ?? 'node', '.js');
  const role = script === 'main' ? 'worker' : script === 'broker-server' ? 'server' : script;
  const startedAt = performance.now();
  const gc = { count: 0, ms: 0, byKind: {} as Record<string, { count: number; ms: number }> };
  const KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
      gc.count++;
      gc.ms += e.duration;
      const k = (gc.byKind[kind] ??= { count: 0, ms: 0 });
      k.count++;
      k.ms += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });

  const session = new Session();
  session.connect();
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // A worker stopped by SIGTERM (the supervisor's escalation) still leaves its profile.
  process.once('SIGTERM', () => process.exit(143));
  process.on('exit', () => {
    const wallMs = performance.now() - startedAt;
    // A same-thread inspector session answers synchronously, so this works in 'exit'.
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      writeFileSync(join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
    writeFileSync(join(dir, `${role}-${process.pid}.gc.json`), JSON.stringify({ role, pid: process.pid, wallMs, ...gc }, null, 2));
  });
}
