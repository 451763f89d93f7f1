/**
 * `npm start [-- --config FILE]`: load the config, start the broker, print the
 * banner with the panel URL and its token, and stop on SIGINT/SIGTERM whatever the
 * broker is doing (stop-signals.ts).
 */
import { parseArgs } from 'node:util';
import { startBroker } from './broker.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, flushLogger } from './logger.js';
import { panelUrl } from './panel-url.js';
import { StopSignals } from './stop-signals.js';
import { resolveToken, tokenFile, type TokenSource } from './token-store.js';

// First of all: a signal that arrives while the broker starts must stop it too.
const signals = new StopSignals();

const TOKEN_NOTE: Record<TokenSource, string> = {
  config: 'from auth.token / ROBOT_CONTROL_TOKEN',
  stored: 'kept from the last start',
  created: 'new, kept for the next starts',
  rotated: 'new (--new-token), kept for the next starts',
};

function fail(message: string): never {
  process.stderr.write(`robot-control: ${message}\n`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({ options: { config: { type: 'string', short: 'c' }, 'new-token': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  process.stdout.write(
    'usage: npm start -- [--config FILE] [--new-token]\n' +
      '  --config FILE  the YAML config (default ./config.yaml)\n' +
      '  --new-token    replace the stored access token (open panels and scripts must get the new one)\n',
  );
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

let token;
try {
  token = resolveToken(config.auth.token, config.worker.storage_dir, { rotate: args['new-token'] });
} catch (err) {
  fail(`cannot keep the access token in ${tokenFile(config.worker.storage_dir)}: ${(err as Error).message}`);
}
if (args['new-token'] && token.source === 'config') {
  process.stderr.write('robot-control: --new-token: the token comes from auth.token or ROBOT_CONTROL_TOKEN, which win; nothing rotated\n');
}

// The logger is ours, not the broker's: we flush it on the way out, with a deadline.
const log = createLogger(config.log);
let broker;
try {
  broker = await startBroker({ ...config, auth: { token: token.token } }, { logger: log });
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
    `  Control panel:  ${panelUrl(broker.url, broker.token)}`,
    `  Socket.IO:      ${broker.url}  (auth: { token })`,
    `  Token:          ${TOKEN_NOTE[token.source]}${token.file ? ` (${token.file})` : ''}`,
    `  Worker:         ready (pid ${broker.supervisor.status().pid})`,
    broker.sandbox.warning ? `  Sandbox:        WARNING: ${broker.sandbox.warning}` : `  Sandbox:        ${broker.sandbox.mode} (docs/SECURITY.md)`,
    ...broker.sandbox.visible.map((dir) => `  Sandbox:        WARNING: ${dir} cannot be hidden from robot code`),
    `  Projects:       ${config.worker.storage_dir}`,
    `  Log:            ${config.log.file}`,
    line,
    '  Press Ctrl+C to stop. `npx robot-control url` prints the panel URL again.',
    '  The console shows start-up, connections and worker changes; every command is in the log.',
    '',
  ].join('\n') + '\n',
);

