/** What the CLI prints: results on stdout, diagnostics on stderr, errors with their code. */
import { BrokerError, PackError, RobotClientError } from '../client/index.js';

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** An error with a code (the broker's, the SDK's, packing's), or null for anything else. */
export function coded(e: unknown): { code: string; message: string; details: Record<string, unknown> } | null {
  if (e instanceof BrokerError || e instanceof RobotClientError) return { code: e.code, message: e.message, details: e.details };
  if (e instanceof PackError) return { code: e.code, message: e.message, details: {} };
  return null;
}

/**
 * "E_CODE: message" and, when there are any, the details as JSON (file/line of a load
 * error, the known objects, ...). Stack traces only with ROBOT_CONTROL_DEBUG set: they
 * are mostly the worker's own frames.
 */
export function describeError(e: unknown): string {
  const c = coded(e);
  if (!c) return e instanceof Error ? e.message : String(e);
  const details = process.env.ROBOT_CONTROL_DEBUG ? c.details : withoutStacks(c.details);
  const shown = Object.keys(details as object).length > 0 ? ` ${json(details)}` : '';
  return `${c.code}: ${c.message}${shown}`;
}

function withoutStacks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStacks);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'stack').map(([k, v]) => [k, withoutStacks(v)]));
}
