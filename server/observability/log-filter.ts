/**
 * What the log viewer keeps: parsing pino JSON lines and the filters (--level,
 * --since, --errors, --event, --grep) as one predicate.
 */
import { LOG_LEVELS } from '../../ipc/log-levels.js';

/** A parsed pino line: the fields we filter on, and the rest. */
export interface LogEntry {
  level: number;
  time: number;
  msg?: string;
  event?: string;
  code?: string;
  [field: string]: unknown;
}

export const LEVELS: Record<string, number> = LOG_LEVELS;
export const LEVEL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, k]));

export interface LogFilter {
  /** Keep entries at this level or above. */
  minLevel?: number;
  /** Keep entries at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Keep errors only: level error and above, or any entry carrying an error code. */
  errorsOnly?: boolean;
  /** Keep entries whose `event` is this. */
  event?: string;
  /** Keep lines containing this text (case-insensitive). */
  grep?: string;
}

export function parseLine(line: string): LogEntry | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as unknown;
    if (!v || typeof v !== 'object' || typeof (v as LogEntry).level !== 'number') return null;
    return v as LogEntry;
  } catch {
    return null;
  }
}

/** A level name (any case) or pino number. */
export function parseLevel(text: string): number {
  const n = LEVELS[text.toLowerCase()] ?? Number(text);
  if (!Number.isFinite(n) || !Object.hasOwn(LEVEL_NAMES, n)) {
    throw new Error(`--level: expected one of ${Object.keys(LEVELS).join(', ')} (got "${text}")`);
  }
  return n;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "15m", "1h", "2d", "1w" ago, or an ISO date/time. */
export function parseSince(text: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`--since: expected a duration like 30s, 15m, 1h, 2d or a date (got "${text}")`);
  return t;
}

export function isError(e: LogEntry): boolean {
  return e.level >= LEVELS.error! || (typeof e.code === 'string' && e.code.startsWith('E_'));
}

export function matches(e: LogEntry, line: string, f: LogFilter): boolean {
  if (f.minLevel !== undefined && e.level < f.minLevel) return false;
  if (f.sinceMs !== undefined && e.time < f.sinceMs) return false;
  if (f.errorsOnly && !isError(e)) return false;
  if (f.event !== undefined && e.event !== f.event) return false;
  if (f.grep !== undefined && !line.toLowerCase().includes(f.grep)) return false;
  return true;
}
