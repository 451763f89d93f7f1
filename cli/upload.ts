/** `robot-control upload FILE|DIR`: send a project ZIP (or a folder, packed) to the broker. */
import { EXIT, type Command } from './command.js';
import { openClient } from './connect.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, parse, UsageError } from './options.js';
import { json, out } from './output.js';

export const upload: Command = {
  name: 'upload',
  summary: 'upload a project ZIP or folder (the worker restarts with it)',
  help: `Usage: robot-control upload FILE.zip|DIR [options]

Uploads the project (a folder is packed as by \`pack\`) and prints the broker's
answer as JSON: {"type","entry","files","bytes"}. An invalid project is refused
with a code (E_INVALID_ZIP, E_NO_ENTRY, E_PROJECT_LOAD, ...) and the previous one
keeps running.

${CONNECTION_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, CONNECTION_OPTIONS);
    if (positionals.length !== 1) throw new UsageError(`upload takes one FILE or DIR, got ${positionals.length} arguments`);
    const settings = connectionSettings(values);
    const client = await openClient(settings);
    // On a terminal, how far a big upload has got (stderr: stdout stays the answer's JSON).
    const tty = process.stderr.isTTY === true;
    const progress = (received: number, total: number): void => {
      if (total >= 1024 * 1024) process.stderr.write(`\rsent ${mb(received)} of ${mb(total)} MB\x1b[K`);
    };
    try {
      const result = await client.update(positionals[0]!, tty ? { onProgress: progress } : {}).finally(() => tty && process.stderr.write('\r\x1b[K'));
      out(json(result));
    } finally {
      await client.close();
    }
    return EXIT.ok;
  },
};

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
