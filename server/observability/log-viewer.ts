#!/usr/bin/env node
/**
 * `npm run logs -- [options]`: read the broker's logs (seed 000's
 * view_websocket_logs.py, done with pino-pretty). The files come from the config
 * (`log.file`, `log.events_file`), rotated ones included, oldest first.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type PinoPretty from 'pino-pretty';
import { requireCjs } from '../../ipc/cjs.js';
import { ConfigError, loadConfig, parseConfig } from '../config.js';
import { matches, parseLevel, parseLine, parseSince, type LogFilter } from './log-filter.js';
import { follow, livePosition, logFiles, readLines } from './log-source.js';
import { renderSummary, SummaryBuilder } from './log-summary.js';

const pinoPretty = requireCjs('pino-pretty') as typeof PinoPretty;

const USAGE = `usage: npm run logs -- [options]

  --type app|events   which log: app.log (everything, default) or events.log
                      (connections, commands, restarts, security events)
  --level LEVEL       this level and above: trace, debug, info, warn, error, fatal
  --since WHEN        entries since a duration ago (30s, 15m, 1h, 2d, 1w) or a date
  --errors [HOURS]    errors only (level error+, or any entry with an error code);
                      HOURS is a shorthand for --since HOURSh
  --event NAME        entries whose "event" is NAME (command, auth_failed, ...)
  --grep TEXT         entries whose line contains TEXT (case-insensitive)
  -n, --lines N       the last N matching entries only
  --live              follow the log as it is written (last 10 entries first)
  --stats             a summary instead of the entries
  --json              raw JSON lines (or the summary as JSON) instead of pretty text
  --no-color          plain text even on a terminal
  --file FILE         read FILE (and its rotations) instead of the configured log
  --config FILE       the broker's config (default ./config.yaml)
  -h, --help          this help
`;

interface Options {
  type: 'app' | 'events';
  filter: LogFilter;
  lines?: number;
  live: boolean;
  stats: boolean;
  json: boolean;
  color: boolean;
  file?: string;
  config?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[], now = Date.now()): Options | 'help' {
  const o: Options = { type: 'app', filter: {}, live: false, stats: false, json: false, color: process.stdout.isTTY === true && !process.env.NO_COLOR };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag}: a value is needed`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    // --flag=value is --flag value
    if (raw.startsWith('--') && eq > 0) {
      argv.splice(i, 1, raw.slice(0, eq), raw.slice(eq + 1));
    }
    const arg = argv[i]!;
    switch (arg) {
      case '-h':
      case '--help':
        return 'help';
      case '--type': {
        const t = value(i++, arg);
        if (t !== 'app' && t !== 'events') throw new UsageError(`--type: expected app or events (got "${t}")`);
        o.type = t;
        break;
      }
      case '--level':
        o.filter.minLevel = wrap(() => parseLevel(value(i++, arg)));
        break;
      case '--since':
        o.filter.sinceMs = wrap(() => parseSince(value(i++, arg), now));
        break;
      case '--errors': {
        o.filter.errorsOnly = true;
        const next = argv[i + 1];
        if (next !== undefined && /^\d+(\.\d+)?$/.test(next)) {
          o.filter.sinceMs = now - Number(next) * 3_600_000;
          i++;
        }
        break;
      }
      case '--event':
        o.filter.event = value(i++, arg);
        break;
      case '--grep':
        o.filter.grep = value(i++, arg).toLowerCase();
        break;
      case '-n':
      case '--lines': {
        const n = Number(value(i++, arg));
        if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${arg}: expected a positive whole number`);
        o.lines = n;
        break;
      }
      case '--live':
      case '--follow':
      case '-f':
        o.live = true;
        break;
      case '--stats':
        o.stats = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--no-color':
        o.color = false;
        break;
      case '--color':
        o.color = true;
        break;
      case '--file':
        o.file = value(i++, arg);
        break;
      case '--config':
      case '-c':
        o.config = value(i++, arg);
        break;
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  if (o.live && o.stats) throw new UsageError('--live and --stats do not go together');
  return o;
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The log file to read: --file, else the configured one of --type. */
function logPath(o: Options): string {
  if (o.file) return resolve(o.file);
  const configFile = o.config ?? 'config.yaml';
  // Without a config file, the defaults apply (as they do for the broker).
  const config = o.config || existsSync(configFile) ? loadConfig(configFile) : parseConfig({}, process.cwd());
  return o.type === 'events' ? config.log.events_file : config.log.file;
}

function printer(o: Options): (line: string) => void {
  if (o.json) return (line) => void process.stdout.write(line + '\n');
  const pretty = pinoPretty.prettyFactory({
    colorize: o.color,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'hostname,channel',
    singleLine: true,
  });
  return (line) => void process.stdout.write(pretty(line));
}

async function main(argv: string[]): Promise<number> {
  let o: Options | 'help';
  try {
    o = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`logs: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  let file: string;
  try {
    file = logPath(o);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`logs: bad config: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const files = logFiles(file);
  if (files.length === 0 && !o.live) {
    process.stderr.write(`logs: no log at ${file} yet\n`);
    return 1;
  }
  const print = printer(o);
  const opts = o;
  const keep = (line: string): boolean => {
    const e = parseLine(line);
    return e !== null && matches(e, line, opts.filter);
  };

  if (o.stats) {
    const summary = new SummaryBuilder();
    for await (const line of readLines(files, o.filter.sinceMs)) {
      const e = parseLine(line);
      if (!e) summary.addUnparsed();
      else if (matches(e, line, o.filter)) summary.add(e);
    }
    const s = summary.build();
    process.stdout.write(o.json ? JSON.stringify(s, null, 2) + '\n' : renderSummary(s, files));
    return 0;
  }

  // The last N kept entries need a bounded window; without N everything streams through.
  const tailN = o.lines ?? (o.live ? 10 : undefined);
  const window: string[] = [];
  const start = o.live ? livePosition(file) : null;
  for await (const line of readLines(files, o.filter.sinceMs, start)) {
    if (!keep(line)) continue;
    if (tailN === undefined) print(line);
    else {
      window.push(line);
      if (window.length > tailN) window.shift();
    }
  }
  for (const line of window) print(line);
  if (!o.live) return 0;

  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  process.stdout.on('error', () => stop.abort()); // piped into head, say
  await follow(file, (line) => keep(line) && print(line), stop.signal, start);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`logs: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
