/**
 * What one bench run does: rounds and load sizes. Full by default, `--quick` for a
 * minute-long look, and every number can be set by flag or BENCH_* environment
 * variable (flags win). Every load loop is bounded by a count and by `phaseTimeoutMs`.
 */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Alternating rounds of the light figures (medians are over these). */
  rounds: number;
  /** Warm-up calls per server before round 1 (not recorded). */
  warmupCalls: number;
  /** Sequential `process` calls per round. */
  seqCalls: number;
  /** Pipelined calls per round, and how many are kept in flight. */
  pipelinedCalls: number;
  window: number;
  /** The long async call's duration, and the short calls made while it runs. */
  longMs: number;
  shortCalls: number;
  /** Events pushed per flood round. */
  floodEvents: number;
  /** Events an observer misses and gets replayed on reconnect (replay.max_events: 10,000 by default). */
  replayEvents: number;
  /** Rounds of the big upload, and its size in MiB. */
  uploadRounds: number;
  uploadMb: number;
  /** How long processes sit idle before their idle RSS is read (and after each upload of the Python figures). */
  idleSettleMs: number;
  /** When the idle RSS is read again, counted from the warm-up's end: past the server's quiet trim (server/idle-trim.ts: 30-31 s, 36-37 s when V8 declined the first try); the warm-up then runs again. */
  idleQuietMs: number;
  /** Peers that never show a token, how long they push frames, and the size of their oversized frames (MiB). */
  strangerPeers: number;
  strangerMs: number;
  strangerFrameMb: number;
  /** Worker starts timed per sandbox mode per round (the sandbox's cost). */
  workerStarts: number;
  /** Upper bound on any one measured phase. */
  phaseTimeoutMs: number;
  /** The broker's log level (production default: info). */
  logLevel: string;
  /** Figures to run (all when empty): seq, pipelined, short, flood, update, upload, idle, strangers, sandbox, recording (a second broker, recording, beside seq and flood), python (the same broker running the bench project in Python), replay (an observer back after missing replayEvents events). */
  only: string[];
  /** Write CPU profiles and GC totals of the broker's processes here (none when null). */
  profileDir: string | null;
  /** The compiled broker to measure (a dist/ folder); null: this checkout's dist/. */
  brokerDist: string | null;
  /** Where the JSON goes (null: do not write). */
  out: string | null;
  quick: boolean;
  /** The broker's clients ask for `(data, meta)` (docs/REPLAY.md), as the SDK and the panel do. */
  meta: boolean;
}

export const FULL: Omit<BenchOptions, 'quick' | 'meta' | 'only' | 'profileDir' | 'brokerDist' | 'out' | 'logLevel'> = {
  rounds: 9,
  warmupCalls: 2000,
  seqCalls: 2000,
  pipelinedCalls: 20_000,
  window: 100,
  longMs: 1000,
  shortCalls: 20,
  floodEvents: 100_000,
  replayEvents: 10_000,
  uploadRounds: 5,
  uploadMb: 50,
  idleSettleMs: 1500,
  idleQuietMs: 40_000,
  strangerPeers: 8,
  strangerMs: 10_000,
  strangerFrameMb: 32,
  workerStarts: 10,
  phaseTimeoutMs: 60_000,
};

export const QUICK: typeof FULL = {
  rounds: 3,
  warmupCalls: 500,
  seqCalls: 500,
  pipelinedCalls: 5000,
  window: 100,
  longMs: 1000,
  shortCalls: 10,
  floodEvents: 20_000,
  replayEvents: 10_000,
  uploadRounds: 1,
  uploadMb: 50,
  idleSettleMs: 500,
  idleQuietMs: 500, // --quick: the figure comes out, the trim has not run
  strangerPeers: 8,
  strangerMs: 4000,
  strangerFrameMb: 32,
  workerStarts: 4,
  phaseTimeoutMs: 30_000,
};

/** What --only can pick. */
export const PARTS = ['seq', 'pipelined', 'short', 'flood', 'update', 'upload', 'idle', 'strangers', 'sandbox', 'recording', 'python', 'replay'];

const NUMERIC = Object.keys(FULL) as Array<keyof typeof FULL>;
const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (k: string) => `BENCH_${kebab(k).replace(/-/g, '_').toUpperCase()}`;

export const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--only seq,pipelined,short,flood,update,upload,idle,strangers,sandbox,recording,python,replay]
  [--${NUMERIC.filter((k) => k !== 'rounds').map(kebab).join(' N] [--')} N]
  [--log-level info] [--profile DIR] [--broker-dist DIR] [--out FILE] [--meta]
Every number may also come from the environment: ${NUMERIC.map(envName).slice(0, 3).join(', ')}, ...
BENCH_KEEP=1 keeps the temp folder (the broker's logs and storage) for a look afterwards.`;

/** Options from flags and BENCH_* variables over the full (or quick) defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const spec: Record<string, { type: 'string' | 'boolean' }> = {
    quick: { type: 'boolean' },
    meta: { type: 'boolean' },
    help: { type: 'boolean' },
    only: { type: 'string' },
    profile: { type: 'string' },
    'broker-dist': { type: 'string' },
    'log-level': { type: 'string' },
    out: { type: 'string' },
  };
  for (const k of NUMERIC) spec[kebab(k)] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options: spec, strict: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick === true || env.BENCH_QUICK === '1';
  const base = { ...(quick ? QUICK : FULL) };
  for (const k of NUMERIC) {
    const raw = (values[kebab(k)] as string | undefined) ?? env[envName(k)];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${kebab(k)}: expected a number >= 0, got "${raw}"`);
    base[k] = n;
  }
  const only = ((values.only as string | undefined) ?? env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((f) => !PARTS.includes(f));
  if (unknown.length) throw new Error(`--only: unknown ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
  return {
    ...base,
    quick,
    meta: values.meta === true || env.BENCH_META === '1',
    only,
    logLevel: (values['log-level'] as string | undefined) ?? env.BENCH_LOG_LEVEL ?? 'info',
    profileDir: (values.profile as string | undefined) ?? null,
    brokerDist: (values['broker-dist'] as string | undefined) ?? null,
    out: (values.out as string | undefined) ?? 'bench-results/latest.json',
  };
}
