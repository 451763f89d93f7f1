/**
 * `npm start [-- --config FILE]`: load the config, start the broker, print the
 * banner with the panel URL and its token, and stop on SIGINT/SIGTERM whatever the
 * broker is doing (stop-signals.ts).
 */
import { parseArgs } from 'node:util';
import { startBroker } from './broker.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, flushLogger } from './logger.js';
import { StopSignals } from './stop-signals.js';

// First of all: a signal that arrives while the broker starts must stop it too.
const signals = new StopSignals();

function fail(message: string): never {
  process.stderr.write(`robot-control: ${message}\n`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  process.stdout.write('usage: npm start -- [--config FILE]\n  --config FILE  the YAML config (default ./config.yaml)\n');
  process.exit(0);
}

const file = args.config ?? 'config.yaml';
let config;
try {
  config = loadConfig(file);
} catch (err) {
  if (err instanceof ConfigError) fail(`bad config: ${err.message}`);
  throw err;
}

// The logger is ours, not the broker's: we flush it on the way out, with a deadline.
const log = createLogger(config.log);
let broker;
try {
  broker = await startBroker(config, { logger: log });
} catch (err) {
  fail(`could not start: ${(err as Error).message}`);
}
const running = broker;
signals.attach({ close: () => running.close(), flushLog: () => flushLogger(log), killWorkers: () => running.supervisor.killAll() });

const line = '='.repeat(64);
process.stdout.write(
  [
    '',
    line,
    '  robot-control: robot remote-control broker',
    line,
    `  Control panel:  ${broker.url}?token=${broker.token}`,
    `  Socket.IO:      ${broker.url}  (auth: { token })`,
    `  Worker:         ready (pid ${broker.supervisor.status().pid})`,
    broker.sandbox.warning ? `  Sandbox:        WARNING: ${broker.sandbox.warning}` : `  Sandbox:        ${broker.sandbox.mode} (docs/SECURITY.md)`,
    ...broker.sandbox.visible.map((dir) => `  Sandbox:        WARNING: ${dir} cannot be hidden from robot code`),
    `  Projects:       ${config.worker.storage_dir}`,
    `  Log:            ${config.log.file}`,
    line,
    '  Press Ctrl+C to stop.',
    '',
  ].join('\n') + '\n',
);

