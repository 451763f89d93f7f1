/**
 * Command-line parsing shared by every command: node:util parseArgs, the
 * connection options, and the one error that means "exit 2: usage".
 */
import { parseArgs } from 'node:util';
import { DEFAULT_URL } from '../client/options.js';

/** A bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
/** What parseArgs gives for `O`: strings for string options, booleans for flags, arrays for repeatable ones. */
export type Values<O extends Options> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string;
} & { help?: boolean };

export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'client-id': { type: 'string' },
  timeout: { type: 'string' },
  wait: { type: 'string' },
} as const satisfies Options;

export const CONNECTION_HELP = `Connection options:
  --url URL          the broker (default: $ROBOT_CONTROL_URL or ${DEFAULT_URL})
  --token TOKEN      the broker's token (default: $ROBOT_CONTROL_TOKEN)
  --client-id ID     reconnects with the same id replace their own stale connection
                     (default: a random id per run)
  --timeout SECONDS  per-call timeout (default: 310, past the broker's own 300 s limit)
  --wait SECONDS     how long to keep trying while the broker is busy or unreachable
                     (default: 10; 0 waits for ever)`;

/** parseArgs, with its errors turned into usage errors. */
export function parse<O extends Options>(argv: string[], options: O): { values: Values<O>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as { values: Values<O>; positionals: string[] };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface ConnectionSettings {
  url: string;
  token: string;
  clientId: string | undefined;
  callTimeoutMs: number | undefined;
  /** 0: for ever. */
  waitMs: number;
}

export function connectionSettings(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const token = (values.token as string | undefined) ?? env.ROBOT_CONTROL_TOKEN;
  if (!token) throw new UsageError('no token: pass --token TOKEN or set ROBOT_CONTROL_TOKEN (the broker prints its token at start)');
  const url = (values.url as string | undefined) ?? env.ROBOT_CONTROL_URL ?? DEFAULT_URL;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url: expected http://HOST:PORT or https://..., got "${url}"`);
  const timeout = seconds(values.timeout, '--timeout');
  const wait = seconds(values.wait, '--wait');
  return {
    url,
    token,
    clientId: values['client-id'] as string | undefined,
    callTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
    waitMs: (wait ?? 10) * 1000,
  };
}

/** A non-negative number of seconds, or undefined when the option was not given. */
export function seconds(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${name}: expected a number of seconds, got "${String(value)}"`);
  }
  return n;
}

/** A positive whole number, or undefined when the option was not given. */
export function count(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name}: expected a positive whole number, got "${String(value)}"`);
  return n;
}
