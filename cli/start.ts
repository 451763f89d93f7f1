/** `robot-control start`: load the current project and list its objects. */
import { EXIT, type Command } from './command.js';
import { openClient } from './connect.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, parse, UsageError } from './options.js';
import { json, out } from './output.js';

export const start: Command = {
  name: 'start',
  summary: 'load the current project and list its objects and methods',
  help: `Usage: robot-control start [options]

Prints the broker's answer as JSON: {"type","entry","objects":{"name":["method",...]}}.

${CONNECTION_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, CONNECTION_OPTIONS);
    if (positionals.length !== 0) throw new UsageError('start takes no arguments');
    const client = await openClient(connectionSettings(values));
    try {
      out(json(await client.start()));
    } finally {
      await client.close();
    }
    return EXIT.ok;
  },
};
