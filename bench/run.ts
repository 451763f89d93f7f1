/**
 * `npm run bench [-- --quick | --rounds N | ...]`: floors and broker in alternating
 * rounds, one table on stdout, the full results (every round's samples) as JSON in
 * bench-results/latest.json. See docs/PERFORMANCE.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { runBench } from './harness.js';
import { parseOptions } from './options.js';
import { markdown, table } from './report.js';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}

const results = await runBench(options);
results.meta.command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');

const m = results.meta;
process.stdout.write(
  `\nrobot-control bench, ${m.date}, node ${m.node}, ${m.cpus} x ${m.cpuModel}, load ${m.loadavgStart.map((l) => l.toFixed(2)).join(' ')}\n` +
    `${m.command}: ${options.rounds} rounds; broker and floor are medians over rounds, ratio the median of the rounds' broker/floor; ${m.durationS} s; broker from ${m.commit}\n\n` +
    `${table(results)}\n`,
);
const phaseLine = (what: string, p: object) => {
  const entries = Object.entries(p) as Array<[string, number]>;
  const text = entries.map(([k, v]) => (k === 'standby' ? `standby spare used in ${Math.round(v * 100)}% of updates` : `${k.replace(/Ms$/, '')} ${v.toFixed(0)} ms`));
  if (entries.length) process.stdout.write(`${what}: ${text.join(', ')}\n`);
};
if (Object.keys(results.updatePhases).length || Object.keys(results.uploadPhases).length) {
  process.stdout.write('\nwhere the broker\'s update time goes (medians over rounds, from its own log):\n');
}
phaseLine('  small project', results.updatePhases);
phaseLine(`  ${(m.uploadBytes / 1024 / 1024).toFixed(0)} MiB project`, results.uploadPhases);
if (results.uploadMemory.length) {
  const mem = results.uploadMemory.map((u) => `server +${u.serverMb.toFixed(0)} MB, workers +${u.workersMb.toFixed(0)} MB`);
  process.stdout.write(`  big upload memory growth by round: ${mem.join('; ')}\n`);
}
if (results.errors.length) process.stdout.write(`\n${results.errors.length} problem(s):\n${results.errors.map((e) => `  ${e}`).join('\n')}\n`);
if (options.out) {
  const file = resolve(options.out);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...results, markdown: markdown(results) }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
}
if (m.profileDir) process.stdout.write(`profiles: ${m.profileDir} (summarize with node dist/bench/profile-summary.js ${m.profileDir})\n`);
process.exit(0);
