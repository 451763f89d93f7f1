/**
 * How a worker's lines enter the broker's log. Two sources, never mixed up:
 *
 * - the worker's own log (JSON on its fd 3): re-written by the server, never copied
 *   as is. The server sets `proc`, `pid`, `gen` and `time`; the level must be one of
 *   pino's; keys that steer the broker's own logs (`channel` routes a line to
 *   events.log, `event` is what the log viewer filters on, `src` marks robot output)
 *   are kept only nested under `claimed`. A worker running robot code can so write
 *   misleading worker lines at worst, never a server line or an events.log entry.
 * - robot output (its fds 1 and 2): text, never parsed, logged as `src: "robot"`.
 *
 * Every line has secrets redacted by value. Lines are written to the root logger's
 * stream with the worker's own pid, as the worker's lines always were.
 */
import type Pino from 'pino';
import { requireCjs } from '../../ipc/cjs.js';
import type { Logger } from '../logger.js';
import { bounded } from '../../ipc/frame-check.js';
import { LOG_LEVELS } from '../../ipc/log-levels.js';
import type { Redactor } from './redact.js';

const pino = requireCjs('pino') as typeof Pino;

const LEVELS: ReadonlySet<number> = new Set(Object.values(LOG_LEVELS));
/** Keys the server sets on every worker line. */
const SERVER_KEYS = new Set(['level', 'time', 'proc', 'pid', 'gen', 'hostname', 'msg']);
/** Keys that mean something to the broker's log routing and viewer: kept only under `claimed`. */
const STEERING_KEYS = new Set(['channel', 'event', 'src', 'stream', 'module', 'claimed']);
const MAX_MSG = 4096;

/** A worker line as the server accepted it. */
export interface WorkerLogEntry {
  level: number;
  msg: string;
  fields: Record<string, unknown>;
}

/** Parse one line of the worker's own log; null when it is not a JSON object. */
export function parseWorkerLine(line: string): WorkerLogEntry | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const level = typeof r.level === 'number' && LEVELS.has(r.level) ? r.level : LOG_LEVELS.info;
  const msg = typeof r.msg === 'string' ? bounded(r.msg, MAX_MSG) : '';
  const fields: Record<string, unknown> = {};
  const claimed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (SERVER_KEYS.has(k)) continue;
    if (STEERING_KEYS.has(k)) claimed[k] = v;
    else fields[k] = v;
  }
  if (Object.keys(claimed).length) fields.claimed = claimed;
  return { level, msg, fields };
}

export class WorkerLogWriter {
  private readonly stream: { write(s: string): void };

  constructor(
    private readonly root: Logger,
    private readonly redact: Redactor,
    private readonly generation: number,
    /** The worker's pid as the host sees it. */
    private readonly pid: () => number | null,
  ) {
    this.stream = (root as unknown as Record<symbol, { write(s: string): void }>)[pino.symbols.streamSym]!;
  }

  /** One entry of the worker's own log. */
  worker(entry: WorkerLogEntry): void {
    this.write(entry.level, entry.fields, entry.msg);
  }

  /** One line of robot output. */
  robot(stream: 'stdout' | 'stderr', line: string): void {
    this.write(stream === 'stdout' ? LOG_LEVELS.info : LOG_LEVELS.warn, { src: 'robot', stream }, line);
  }

  /** A line about the worker that the server writes (its startup output, a refused frame). */
  note(level: number, fields: Record<string, unknown>, msg: string): void {
    this.write(level, fields, msg);
  }

  private write(level: number, fields: Record<string, unknown>, msg: string): void {
    if (level < this.root.levelVal) return;
    const line = { level, time: Date.now(), proc: 'worker', pid: this.pid(), gen: this.generation, ...fields, msg };
    let json: string;
    try {
      json = JSON.stringify(line);
    } catch {
      json = JSON.stringify({ level, time: line.time, proc: 'worker', pid: line.pid, gen: this.generation, msg });
    }
    this.stream.write(`${this.redact(json)}\n`);
  }
}
