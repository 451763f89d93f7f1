#!/usr/bin/env node
/**
 * robot-control: the broker from a terminal.
 *   robot-control pack DIR | upload FILE|DIR | start | call OBJECT METHOD [ARGS] | watch [EVENT...] | dev DIR | url | record [--out F]
 * Exit codes: 0 ok, 1 an error with a code (printed as "CODE: message"), 2 usage.
 */
import { readFileSync } from 'node:fs';
import { EXIT, type Command } from './command.js';
import { UsageError } from './options.js';
import { coded, describeError, err, out } from './output.js';

/**
 * Each command's module is imported only when it runs: `call` does not pay for the
 * recorder's MCAP writer or the broker's config parser.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  pack: async () => (await import('./pack.js')).pack,
  upload: async () => (await import('./upload.js')).upload,
  start: async () => (await import('./start.js')).start,
  call: async () => (await import('./call.js')).call,
  watch: async () => (await import('./watch.js')).watch,
  dev: async () => (await import('./dev.js')).dev,
  url: async () => (await import('./url.js')).url,
  record: async () => (await import('./record.js')).record,
};

const commandNamed = (name: string | undefined): Promise<Command> | undefined =>
  name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name]!() : undefined;

async function mainHelp(): Promise<string> {
  const all = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const width = Math.max(...all.map((c) => c.name.length));
  return `Usage: robot-control COMMAND [ARGS] [options]

Commands:
${all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

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
    const topic = name === 'help' ? await commandNamed(rest[0]) : undefined;
    out(topic ? topic.help : await mainHelp());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return EXIT.ok;
  }
  const command = await commandNamed(name);
  if (!command) {
    err(`robot-control: unknown command "${name}"\n\n${await mainHelp()}`);
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
