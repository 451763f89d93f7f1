/**
 * `npm start [-- --config FILE]`: load the config, start the broker, print the
 * banner with the panel URL and its token, and stop cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startBroker } from './broker.js';
import { ConfigError, loadConfig } from './config.js';
import { panelUrl } from './panel-url.js';
import { resolveToken, tokenFile, type TokenSource } from './token-store.js';

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

let broker;
try {
  broker = await startBroker({ ...config, auth: { token: token.token } });
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
    `  Control panel:  ${panelUrl(broker.url, broker.token)}`,
    `  Socket.IO:      ${broker.url}  (auth: { token })`,
    `  Token:          ${TOKEN_NOTE[token.source]}${token.file ? ` (${token.file})` : ''}`,
    `  Worker:         ready (pid ${broker.supervisor.status().pid})`,
    `  Projects:       ${config.worker.storage_dir}`,
    `  Log:            ${config.log.file}`,
    line,
    '  Press Ctrl+C to stop. `npx robot-control url` prints the panel URL again.',
    '  The console shows start-up, connections and worker changes; every command is in the log.',
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
