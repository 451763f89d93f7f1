/**
 * Summarize CPU profiles taken by `npm run bench -- --profile DIR`:
 *   node dist/bench/profile-summary.js DIR [top]
 * For each process: busy time, GC share (cpuprofile "(garbage collector)" and the
 * gc.json totals), the functions with the most self time, and self time by file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '~')
    .replace(/^.*\/dist\//, 'dist/');

function fileOf(url: string): string {
  if (!url) return '(native/vm)';
  const u = shortUrl(url);
  if (u.startsWith('~')) return u.split('/').slice(0, u.startsWith('~@') ? 2 : 1).join('/'); // the package
  if (u.startsWith('node:')) return u;
  return u;
}

export function summarize(profile: Profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const bySelf = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  let program = 0;
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') idle += us;
    if (f.functionName === '(garbage collector)') gc += us;
    if (f.functionName === '(program)') program += us;
    const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
    bySelf.set(key, (bySelf.get(key) ?? 0) + us);
    const file = f.url ? fileOf(f.url) : f.functionName;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    // Inclusive time per function: each distinct function on the stack once.
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const cf = byId.get(n)!.callFrame;
      if (!cf.url) continue;
      const k = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalMs: total / 1000, busyMs: busy / 1000, gcMs: gc / 1000, programMs: program / 1000, self: sorted(bySelf), files: sorted(byFile), inclusive: sorted(inclusive), busy };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  const top = Number(process.argv[3] ?? 25);
  if (!dir) {
    process.stderr.write('usage: node dist/bench/profile-summary.js DIR [top]\n');
    process.exit(2);
  }
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).sort()) {
    const s = summarize(JSON.parse(readFileSync(join(dir, name), 'utf8')) as Profile, top);
    const pct = (us: number) => `${((us / s.busy) * 100).toFixed(1)}%`.padStart(6);
    let gcLine = '';
    try {
      const g = JSON.parse(readFileSync(join(dir, name.replace('.cpuprofile', '.gc.json')), 'utf8')) as { wallMs: number; ms: number; count: number; byKind: Record<string, { count: number; ms: number }> };
      gcLine = `; gc events: ${g.count} taking ${g.ms.toFixed(0)} ms (${Object.entries(g.byKind).map(([k, v]) => `${k} ${v.count}/${v.ms.toFixed(0)} ms`).join(', ')}) over ${(g.wallMs / 1000).toFixed(1)} s`;
    } catch {
      // no gc.json
    }
    process.stdout.write(
      `\n== ${name}: ${s.totalMs.toFixed(0)} ms profiled, busy ${s.busyMs.toFixed(0)} ms, GC ${s.gcMs.toFixed(0)} ms = ${pct(s.gcMs * 1000).trim()} of busy${gcLine}\n` +
        `-- top self time\n${s.self.map(([k, us]) => `${pct(us)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`).join('\n')}\n` +
        `-- self time by file/package\n${s.files.map(([k, us]) => `${pct(us)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`).join('\n')}\n` +
        `-- inclusive (on the stack)\n${s.inclusive.map(([k, us]) => `${pct(us)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`).join('\n')}\n`,
    );
  }
}
