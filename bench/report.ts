/** The bench's table: figure, broker, floor, ratio, target, met. */
import { describeTarget, type FigureResult } from './figures.js';
import type { BenchResults } from './harness.js';

function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return 'n/a';
  const digits = unit === 'ms' || unit === 'MB' ? (Math.abs(v) < 10 ? 2 : 1) : 0;
  return `${v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

const ratioText = (f: FigureResult) => (Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)}x` : f.broker === 0 && f.floorValue === 0 ? '1.00x' : 'n/a');
const spreadText = (f: FigureResult) =>
  f.samples.broker.length > 1 && Number.isFinite(f.ratioSpread[0]) && Number.isFinite(f.ratioSpread[1]) ? `${f.ratioSpread[0].toFixed(2)}-${f.ratioSpread[1].toFixed(2)}` : '';
const metText = (f: FigureResult) => (f.samples.broker.length === 0 ? 'not run' : f.met === null ? '' : f.met ? 'met' : 'MISSED');

/** The figures this run measured (`--only` skips some). */
const ran = (results: BenchResults) => results.figures.filter((f) => f.samples.broker.length > 0 || f.samples.floor.length > 0);

export function table(results: BenchResults): string {
  const rows = [
    ['figure', 'broker', 'floor', 'vs', 'ratio', 'rounds p25-p75', 'target', ''],
    ...ran(results).map((f) => [f.label, fmt(f.broker, f.unit), fmt(f.floorValue, f.unit), f.floor, ratioText(f), spreadText(f), describeTarget(f.target), metText(f)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 || i === 2 || i === 4 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The same table as Markdown, for docs/PERFORMANCE.md. */
export function markdown(results: BenchResults): string {
  const out = ['| figure | broker | floor | floor is | ratio | ratio p25-p75 | target | |', '|---|---:|---:|---|---:|---:|---|---|'];
  for (const f of ran(results)) {
    out.push(`| ${f.label} | ${fmt(f.broker, f.unit)} | ${fmt(f.floorValue, f.unit)} | ${f.floor} | ${ratioText(f)} | ${spreadText(f)} | ${describeTarget(f.target)} | ${metText(f)} |`);
  }
  return out.join('\n');
}
