/**
 * The figures the bench reports: what each compares, its unit, how rounds are
 * combined, and its target. Every ratio is broker / floor from the same run. The
 * targets of the hot-path figures are issue #15's goals.
 */
export type Target =
  | { kind: 'ratio<='; value: number }
  | { kind: 'ratio>='; value: number }
  | { kind: '<='; value: number }
  | { kind: '<'; value: number }
  | { kind: '>='; value: number }
  | { kind: '=='; value: number }
  /** broker - floor, in the figure's unit. */
  | { kind: 'delta<='; value: number }
  | { kind: 'none' };

export interface FigureDef {
  key: string;
  label: string;
  unit: string;
  /** The floor this figure is compared with. */
  floor: string;
  /** How per-round samples become the figure: the median, or the worst round. */
  combine: 'median' | 'max';
  target: Target;
}

export const FIGURES: FigureDef[] = [
  { key: 'seq_p50', label: 'process round trip p50, sequential', unit: 'µs', floor: 'raw chain', combine: 'median', target: { kind: 'ratio<=', value: 1.3 } },
  { key: 'seq_p99', label: 'process round trip p99, sequential', unit: 'µs', floor: 'raw chain', combine: 'median', target: { kind: 'ratio<=', value: 1.5 } },
  { key: 'seq_p99_after_update', label: 'process round trip p99, right after an update (a new worker)', unit: 'µs', floor: 'the same broker, warm (this round)', combine: 'median', target: { kind: 'none' } },
  { key: 'seq_p50_socketio', label: 'process round trip p50 vs Socket.IO alone', unit: 'µs', floor: 'raw Socket.IO ack', combine: 'median', target: { kind: 'none' } },
  { key: 'pipelined', label: 'pipelined throughput, 100 in flight', unit: 'calls/s', floor: 'raw chain', combine: 'median', target: { kind: 'ratio>=', value: 0.85 } },
  { key: 'short_during_long', label: 'short call while a 1 s call runs, p50', unit: 'ms', floor: 'raw chain', combine: 'median', target: { kind: '<', value: 5 } },
  { key: 'short_during_long_max', label: 'short call while a 1 s call runs, worst', unit: 'ms', floor: 'raw chain', combine: 'median', target: { kind: 'none' } },
  { key: 'flood_rate', label: 'pushMessage flood delivered to the client', unit: 'events/s', floor: 'raw chain', combine: 'median', target: { kind: 'none' } },
  { key: 'flood_rate_socketio', label: 'pushMessage flood vs Socket.IO emitting alone', unit: 'events/s', floor: 'raw Socket.IO emit', combine: 'median', target: { kind: 'ratio>=', value: 0.9 } },
  { key: 'flood_lost', label: 'flood events lost (worst round)', unit: 'events', floor: 'raw chain', combine: 'max', target: { kind: '==', value: 0 } },
  { key: 'flood_disorder', label: 'flood events out of order (worst round)', unit: 'events', floor: 'raw chain', combine: 'max', target: { kind: '==', value: 0 } },
  { key: 'replay_ms', label: 'replay of 10,000 missed events after a reconnect with lastSeq', unit: 'ms', floor: 'raw Socket.IO: new client sent as many', combine: 'median', target: { kind: 'none' } },
  { key: 'replay_rss', label: 'replay of 10,000 events: server RSS growth', unit: 'MB', floor: 'raw Socket.IO server, same', combine: 'max', target: { kind: 'none' } },
  { key: 'update_ready', label: 'update -> ready, small project', unit: 'ms', floor: 'spawn node+zeromq, ready', combine: 'median', target: { kind: 'ratio<=', value: 0.5 } },
  { key: 'update_ready_b2b', label: 'update -> ready, 5 back to back, median', unit: 'ms', floor: 'spawn node+zeromq, ready', combine: 'median', target: { kind: 'ratio<=', value: 0.5 } },
  { key: 'upload_ack', label: 'big project upload in pieces (the SDK, the panel) -> ack', unit: 'ms', floor: 'raw Socket.IO emit', combine: 'median', target: { kind: 'ratio<=', value: 1.2 } },
  { key: 'upload_mem', label: 'big upload in pieces: memory growth, server + worker', unit: 'MB', floor: 'raw Socket.IO server', combine: 'max', target: { kind: 'ratio<=', value: 1.2 } },
  { key: 'upload_ack_whole', label: 'big project upload in one `update` (older clients) -> ack', unit: 'ms', floor: 'raw Socket.IO emit', combine: 'median', target: { kind: 'none' } },
  { key: 'upload_mem_whole', label: 'big upload in one `update`: memory growth, server + worker', unit: 'MB', floor: 'raw Socket.IO server', combine: 'max', target: { kind: 'none' } },
  { key: 'strangers_rss', label: '8 unauthenticated peers pushing frames: server RSS over idle', unit: 'MB', floor: 'raw Socket.IO server', combine: 'max', target: { kind: '<=', value: 64 } },
  { key: 'idle_rss_server', label: 'idle RSS, server process', unit: 'MB', floor: 'raw Socket.IO server', combine: 'median', target: { kind: 'none' } },
  { key: 'idle_rss_worker', label: 'idle RSS, worker process', unit: 'MB', floor: 'raw chain child', combine: 'median', target: { kind: 'none' } },
  { key: 'idle_rss_spare', label: 'idle RSS, standby spare worker', unit: 'MB', floor: 'raw chain child', combine: 'median', target: { kind: 'none' } },
  // Recording on vs off: the floor is the same broker without recording, measured back to back in each round.
  { key: 'rec_seq_p50', label: 'process round trip p50, recording on', unit: 'µs', floor: 'broker, recording off', combine: 'median', target: { kind: 'ratio<=', value: 1.05 } },
  { key: 'rec_flood_rate', label: 'pushMessage flood, recording on', unit: 'events/s', floor: 'broker, recording off', combine: 'median', target: { kind: 'ratio>=', value: 0.95 } },
  { key: 'rec_flood_cpu', label: 'server CPU per flood event, recording on', unit: 'µs', floor: 'broker, recording off', combine: 'median', target: { kind: 'none' } },
  { key: 'rec_dropped', label: 'recording: events dropped (whole run)', unit: 'events', floor: 'broker, recording off', combine: 'max', target: { kind: '==', value: 0 } },
  // The same broker running the bench project in Python, against the JavaScript one in the same round.
  { key: 'py_seq_p50', label: 'process round trip p50, Python project', unit: 'µs', floor: 'the same, JavaScript project', combine: 'median', target: { kind: 'ratio<=', value: 1.5 } },
  { key: 'py_update_ready', label: 'update -> ready, Python project uploaded again', unit: 'ms', floor: 'the same, JavaScript project', combine: 'median', target: { kind: 'ratio<=', value: 2 } },
  { key: 'idle_rss_total', label: 'idle RSS, all broker processes', unit: 'MB', floor: 'raw chain, both processes', combine: 'median', target: { kind: 'ratio<=', value: 1.5 } },
  { key: 'idle_rss_server_quiet', label: 'idle RSS, server process, 40 s quiet', unit: 'MB', floor: 'raw Socket.IO server', combine: 'median', target: { kind: 'none' } },
  { key: 'idle_rss_total_quiet', label: 'idle RSS, all broker processes, 40 s quiet', unit: 'MB', floor: 'raw chain, both processes', combine: 'median', target: { kind: 'ratio<=', value: 1.5 } },
  { key: 'worker_start_sandbox', label: 'worker start (spawn -> ready), sandbox: bwrap', unit: 'ms', floor: 'the same, sandbox: none', combine: 'median', target: { kind: 'delta<=', value: 20 } },
  { key: 'seq_p50_sandbox', label: 'process round trip p50, sandbox: bwrap', unit: 'µs', floor: 'the same broker, sandbox: none', combine: 'median', target: { kind: 'ratio<=', value: 1.1 } },
];

export interface FigureResult extends FigureDef {
  broker: number;
  floorValue: number;
  /** broker / floor: the median of the per-round ratios (each round's pair is measured back to back). */
  ratio: number;
  /** The 25th and 75th percentile of the per-round ratios: how much the machine's noise moved them (NaN when not paired). */
  ratioSpread: [number, number];
  met: boolean | null;
  samples: { broker: number[]; floor: number[] };
}

export function judge(t: Target, broker: number, ratio: number, floor = Number.NaN): boolean | null {
  if (!Number.isFinite(broker)) return false;
  switch (t.kind) {
    case 'delta<=':
      return broker - floor <= t.value;
    case 'ratio<=':
      return ratio <= t.value;
    case 'ratio>=':
      return ratio >= t.value;
    case '<=':
      return broker <= t.value;
    case '<':
      return broker < t.value;
    case '>=':
      return broker >= t.value;
    case '==':
      return broker === t.value;
    case 'none':
      return null;
  }
}

export function describeTarget(t: Target): string {
  switch (t.kind) {
    case 'ratio<=':
      return `ratio <= ${t.value}`;
    case 'ratio>=':
      return `ratio >= ${t.value}`;
    case 'none':
      return '-';
    case 'delta<=':
      return `<= floor + ${t.value}`;
    default:
      return `${t.kind} ${t.value.toLocaleString('en-US')}`;
  }
}
