/**
 * `node dist/bench/variants.js [name ...]`: copies of the compiled broker with one
 * proposed change applied each, under bench-results/variants/<name>/dist, to be
 * measured with `npm run bench -- --broker-dist bench-results/variants/<name>/dist`.
 * Evidence for the proposals in docs/PERFORMANCE.md, made without touching the
 * sources (their owners apply the real change). A patch whose target text is gone
 * (the source moved on) fails loudly instead of measuring the wrong thing.
 */
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Patch {
  file: string;
  find: string;
  replace: string;
}

/**
 * Proposals 1 and 3-6 of docs/PERFORMANCE.md (head-indexed, promise-free SendQueue,
 * metric children, ready fast path) were applied in 66c962e, and proposal 2 (pushes
 * batched, with the controller's pace) later, so their variants are gone; their
 * measurements are in the doc. What is left to measure:
 */

/** The events journal's one info line per command, for successful `process` commands only, at debug. */
const JOURNAL_LOG_DEBUG: Patch = {
  file: 'server/observability/events-journal.js',
  find: 'j.info(fields, `${a.command} ok`)',
  replace: "(a.command === 'process' ? j.debug : j.info).call(j, fields, `${a.command} ok`)",
};

export const VARIANTS: Record<string, { why: string; patches: Patch[] }> = {
  'process-log-debug': {
    why: 'successful process commands logged at debug by the events journal; errors, update and start stay at info/warn',
    patches: [JOURNAL_LOG_DEBUG],
  },
};

export function makeVariant(name: string, dist: string, outRoot: string): string {
  const v = VARIANTS[name];
  if (!v) throw new Error(`unknown variant "${name}"; known: ${Object.keys(VARIANTS).join(', ')}`);
  const root = join(outRoot, name);
  rmSync(root, { recursive: true, force: true });
  cpSync(dist, join(root, 'dist'), { recursive: true, filter: (src) => !src.includes(`${join(dist, 'bench')}`) });
  // paths.ts finds the default project at <dist>/../storage; node_modules resolves up the tree.
  const storage = resolve(dist, '..', 'storage');
  if (existsSync(storage)) symlinkSync(storage, join(root, 'storage'));
  for (const p of v.patches) {
    const file = join(root, 'dist', p.file);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(p.find)) throw new Error(`${name}: ${p.file} no longer contains ${JSON.stringify(p.find.slice(0, 80))}`);
    writeFileSync(file, text.replace(p.find, p.replace));
  }
  writeFileSync(join(root, 'VARIANT.txt'), `${name}: ${v.why}\n`);
  return join(root, 'dist');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dist = fileURLToPath(new URL('../', import.meta.url));
  const outRoot = resolve(dist, '..', 'bench-results', 'variants');
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(VARIANTS);
  for (const name of names) {
    const made = makeVariant(name, dist, outRoot);
    process.stdout.write(`${name}: ${VARIANTS[name]!.why}\n  npm run bench -- --broker-dist ${made}\n`);
  }
}
