/**
 * `npm start [-- --config FILE]`: load the config, start the broker, print the
 * banner with the panel URL and its token, and stop cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startBroker } from './broker.js';
import { ConfigError, loadConfig } from './config.js';

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

let broker;
try {
  broker = await startBroker(config);
} catch (err) {
  fail(`could not start: ${(err as Error).message}`);
}

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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    // Never hang on the way out: 4.5 s after the signal we are gone whatever happens.
    setTimeout(() => process.exit(1), 4500).unref();
    broker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
