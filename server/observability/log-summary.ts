/**
 * `npm run logs -- --stats`: a summary of the entries that pass the filters:
 * how many per level and per event, error codes, command and method latencies,
 * worker restarts and auth failures (seed 000's --stats, --performance and
 * --errors reports in one). Commands are counted from the events journal's
 * `event: "command"` lines, which both logs carry, so app.log is not counted twice.
 */
import { LEVEL_NAMES, isError, type LogEntry } from './log-filter.js';
import { quantile } from './latency.js';
import { NOT_A_CALL } from './stats.js';

/** Method names listed in the summary (the busiest). */
const TOP_METHODS = 15;
/** Lines of one request with one code this close together are one failure. */
const SAME_FAILURE_MS = 10 * 60_000;
/** Durations kept per command or method for the percentiles (a uniform sample past this). */
const SAMPLES = 10_000;

interface Timing {
  count: number;
  errors: number;
  samples: number[];
}

export interface LogSummary {
  entries: number;
  unparsed: number;
  first: string | null;
  last: string | null;
  byLevel: Record<string, number>;
  byEvent: Record<string, number>;
  errors: { total: number; byCode: Record<string, number>; last: Array<{ time: string; msg: string; code?: string }> };
  commands: Record<string, { count: number; errors: number; p50Ms: number | null; p95Ms: number | null }>;
  methods: Record<string, { count: number; errors: number; p50Ms: number | null; p95Ms: number | null }>;
  worker: { states: Record<string, number>; crashes: number };
  authFailures: Record<string, number>;
}

export class SummaryBuilder {
  private entries = 0;
  private unparsed = 0;
  private first = Infinity;
  private last = -Infinity;
  private readonly byLevel = new Map<string, number>();
  private readonly byEvent = new Map<string, number>();
  private readonly byCode = new Map<string, number>();
  private errorsTotal = 0;
  private readonly lastErrors: Array<{ time: string; msg: string; code?: string }> = [];
  private readonly commands = new Map<string, Timing>();
  private readonly methods = new Map<string, Timing>();
  private readonly workerStates = new Map<string, number>();
  private crashes = 0;
  private readonly authFailures = new Map<string, number>();
  /** `reqId|code` -> when it was last seen, to count each failure once. */
  private readonly failures = new Map<string, number>();

  /**
   * One failure, one count: a failed command is logged where it failed (the supervisor's
   * "rolling back", a rejected upload) and again as the command's outcome, each with its
   * code and the request id. Lines of one request with one code count once.
   */
  private sameFailure(e: LogEntry): boolean {
    if (typeof e.reqId !== 'number' || typeof e.code !== 'string') return false;
    const key = `${e.reqId}|${e.code}`;
    const seen = this.failures.get(key);
    this.failures.set(key, e.time);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
    // Request ids start again at every broker start: only a nearby line is the same failure.
    return seen !== undefined && Math.abs(e.time - seen) < SAME_FAILURE_MS;
  }

  addUnparsed(): void {
    this.unparsed++;
  }

  add(e: LogEntry): void {
    this.entries++;
    if (e.time < this.first) this.first = e.time;
    if (e.time > this.last) this.last = e.time;
    bump(this.byLevel, LEVEL_NAMES[e.level] ?? String(e.level));
    if (typeof e.event === 'string') bump(this.byEvent, e.event);
    if (isError(e) && !this.sameFailure(e)) {
      this.errorsTotal++;
      if (typeof e.code === 'string') bump(this.byCode, e.code);
      this.lastErrors.push({ time: new Date(e.time).toISOString(), msg: String(e.msg ?? ''), ...(typeof e.code === 'string' ? { code: e.code } : {}) });
      if (this.lastErrors.length > 10) this.lastErrors.shift();
    }
    if (e.event === 'command' && typeof e.command === 'string' && typeof e.ms === 'number') {
      const failed = e.outcome === 'error';
      time(this.commands, e.command, e.ms, failed);
      const reached = !(typeof e.code === 'string' && NOT_A_CALL.has(e.code));
      if (reached && typeof e.object === 'string' && typeof e.method === 'string') time(this.methods, `${e.object}.${e.method}`, e.ms, failed);
    }
    if (e.event === 'worker_state' && typeof e.state === 'string') {
      bump(this.workerStates, e.state);
      if (e.state === 'restarting' && typeof e.reason === 'string' && e.reason.startsWith('crash')) this.crashes++;
    }
    if (e.event === 'auth_failed') bump(this.authFailures, typeof e.surface === 'string' ? e.surface : 'unknown');
  }

  build(): LogSummary {
    const methods = [...this.methods].sort((a, b) => b[1].count - a[1].count).slice(0, TOP_METHODS);
    return {
      entries: this.entries,
      unparsed: this.unparsed,
      first: Number.isFinite(this.first) ? new Date(this.first).toISOString() : null,
      last: Number.isFinite(this.last) ? new Date(this.last).toISOString() : null,
      byLevel: Object.fromEntries(this.byLevel),
      byEvent: Object.fromEntries([...this.byEvent].sort((a, b) => b[1] - a[1])),
      errors: { total: this.errorsTotal, byCode: Object.fromEntries(this.byCode), last: this.lastErrors },
      commands: Object.fromEntries([...this.commands].map(([k, t]) => [k, timing(t)])),
      methods: Object.fromEntries(methods.map(([k, t]) => [k, timing(t)])),
      worker: { states: Object.fromEntries(this.workerStates), crashes: this.crashes },
      authFailures: Object.fromEntries(this.authFailures),
    };
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function time(map: Map<string, Timing>, key: string, ms: number, failed: boolean): void {
  let t = map.get(key);
  if (!t) {
    // A log may name many methods; the table is bounded like the broker's own.
    if (map.size >= 1000) return;
    map.set(key, (t = { count: 0, errors: 0, samples: [] }));
  }
  t.count++;
  if (failed) t.errors++;
  if (t.samples.length < SAMPLES) t.samples.push(ms);
  else {
    // Reservoir sampling: every duration has the same chance to be kept.
    const i = Math.floor(Math.random() * t.count);
    if (i < SAMPLES) t.samples[i] = ms;
  }
}

function timing(t: Timing): { count: number; errors: number; p50Ms: number | null; p95Ms: number | null } {
  const sorted = Float64Array.from(t.samples).sort();
  const q = (p: number) => (sorted.length ? Math.round(quantile(sorted, p) * 1000) / 1000 : null);
  return { count: t.count, errors: t.errors, p50Ms: q(0.5), p95Ms: q(0.95) };
}

/** The summary for people. */
export function renderSummary(s: LogSummary, files: readonly string[]): string {
  const out: string[] = [];
  const kv = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
  out.push(`Files:    ${files.join(', ') || '(none)'}`);
  out.push(`Entries:  ${s.entries}${s.unparsed ? ` (+${s.unparsed} lines that are not JSON log entries)` : ''}`);
  out.push(`Span:     ${s.first ?? '-'} .. ${s.last ?? '-'}`);
  out.push(`Levels:   ${kv(s.byLevel)}`);
  out.push(`Events:   ${kv(s.byEvent)}`);
  out.push(`Errors:   ${s.errors.total}${Object.keys(s.errors.byCode).length ? ` (${kv(s.errors.byCode)})` : ''}`);
  out.push(`Worker:   ${kv(s.worker.states)}; crashes ${s.worker.crashes}`);
  out.push(`Auth failures: ${kv(s.authFailures)}`);
  const table = (title: string, rows: LogSummary['commands']) => {
    if (Object.keys(rows).length === 0) return;
    out.push('', title);
    for (const [name, t] of Object.entries(rows)) {
      out.push(`  ${name.padEnd(32)} ${String(t.count).padStart(7)} calls ${String(t.errors).padStart(5)} errors   p50 ${fmt(t.p50Ms)}   p95 ${fmt(t.p95Ms)}`);
    }
  };
  table('Commands:', s.commands);
  table(`Methods (busiest ${TOP_METHODS}):`, s.methods);
  if (s.errors.last.length) {
    out.push('', 'Last errors:');
    for (const e of s.errors.last) out.push(`  ${e.time}  ${e.code ? `${e.code}  ` : ''}${e.msg}`);
  }
  return out.join('\n') + '\n';
}

const fmt = (ms: number | null) => (ms === null ? '-' : `${ms} ms`).padStart(10);
