/** `robot-control url [--config FILE]`: the panel URL with its token, again, without restarting the broker. */
import { ConfigError, loadConfig } from '../server/config.js';
import { brokerUrl, panelUrl } from '../server/panel-url.js';
import { readStoredToken, tokenFile } from '../server/token-store.js';
import { EXIT, type Command } from './command.js';
import { parse, UsageError } from './options.js';
import { err, out } from './output.js';

export const url: Command = {
  name: 'url',
  summary: 'print the control panel URL with its token (reads the config and the stored token)',
  help: `Usage: robot-control url [--config FILE] [--token-only]

Prints the URL the broker's banner shows, http://HOST:PORT/?token=..., from the
same config as \`npm start\` (default ./config.yaml) and the token it uses:
ROBOT_CONTROL_TOKEN, else auth.token, else the one kept in <worker.storage_dir>/.token
(made on the broker's first start; \`npm start -- --new-token\` replaces it).

Options:
  --config FILE      the broker's config (default ./config.yaml)
  --token-only       print only the token: export ROBOT_CONTROL_TOKEN=$(npx robot-control url --token-only)`,
  async run(argv) {
    const { values, positionals } = parse(argv, { config: { type: 'string' }, 'token-only': { type: 'boolean' } });
    if (positionals.length !== 0) throw new UsageError('url takes no arguments');
    const file = values.config ?? 'config.yaml';
    let config;
    try {
      config = loadConfig(file);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`bad config: ${e.message}`);
      throw e;
    }
    const token = config.auth.token || readStoredToken(tokenFile(config.worker.storage_dir));
    if (!token) {
      err(`robot-control: no token yet in ${tokenFile(config.worker.storage_dir)}: start the broker once (npm start), or set auth.token`);
      return EXIT.error;
    }
    if (values['token-only']) {
      out(token);
      return EXIT.ok;
    }
    if (config.websocket.port === 0) err('robot-control: websocket.port is 0 (any free port): the port below is a guess; the banner has the real one');
    out(panelUrl(brokerUrl(config.websocket.host, config.websocket.port || 8000), token));
    return EXIT.ok;
  },
};
