#!/usr/bin/env node
/**
 * robot-control: the broker from a terminal.
 *   robot-control pack DIR | upload FILE|DIR | start | call OBJECT METHOD [ARGS] | watch [EVENT...] | dev DIR | url | record [--out F]
 * Exit codes: 0 ok, 1 an error with a code (printed as "CODE: message"), 2 usage.
 */
import { readFileSync } from 'node:fs';
import { call } from './call.js';
import { EXIT, type Command } from './command.js';
import { dev } from './dev.js';
import { UsageError } from './options.js';
import { coded, describeError, err, out } from './output.js';
import { pack } from './pack.js';
import { record } from './record.js';
import { start } from './start.js';
import { upload } from './upload.js';
import { url } from './url.js';
import { watch } from './watch.js';

const COMMANDS: readonly Command[] = [pack, upload, start, call, watch, dev, url, record];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: robot-control COMMAND [ARGS] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`robot-control COMMAND --help\` for a command's arguments and options.
Exit codes: 0 ok, 1 an error with a code (the broker's, e.g. E_UNKNOWN_OBJECT), 2 usage.`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    out(topic ? topic.help : mainHelp());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err(`robot-control: unknown command "${name}"\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`robot-control ${command.name}: ${e.message}\n${command.help.split('\n')[0]}\nRun \`robot-control ${command.name} --help\` for more.`);
      return EXIT.usage;
    }
    err(`robot-control: ${describeError(e)}`);
    if (!coded(e) && e instanceof Error && e.stack && process.env.ROBOT_CONTROL_DEBUG) err(e.stack);
    return EXIT.error;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Whatever still holds the event loop (a socket closing slowly) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2_000).unref();
