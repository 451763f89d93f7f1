/** `robot-control call OBJECT METHOD [ARGS-JSON]`: call a robot method, print its return value. */
import { EXIT, type Command } from './command.js';
import { connectClient, createClient } from './connect.js';
import { followEvents } from './events.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, count, parse, UsageError } from './options.js';
import { json, out } from './output.js';

export const call: Command = {
  name: 'call',
  summary: 'call a robot method and print its return value as JSON',
  help: `Usage: robot-control call OBJECT METHOD [ARGS-JSON] [--follow [--event NAME]... [--count N]] [options]

ARGS-JSON is a JSON array (spread as positional arguments) or a JSON object
(passed as the single argument); without it the method gets no arguments.
  robot-control call sport_client StandUp
  robot-control call sport_client Move '{"vx": 0.3}'
  robot-control call robot add '[2, 3]'
Prints the return value as one JSON line. A broker error prints its code and
message on stderr and exits 1.

call holds the robot (the control lease) for its call only: while another client
holds it (the panel, another call), it waits up to --wait, then exits 1 with E_BUSY.
When call exits, the broker runs the robot's stop() hooks (the lease is a deadman):
to keep a motion going, keep the lease with --follow. \`watch\` and \`dev\` only
observe, so they never block it.

Options:
  --follow           stay connected and print pushed events as JSON lines
                     (as \`watch\` does) until Ctrl-C; the return value is then
                     printed as {"result": VALUE}, in arrival order among them
  --event NAME       with --follow: only this event (repeatable)
  --count N          with --follow: exit after N printed events
  --force            take the robot from whoever holds it (they become an observer
                     and the robot's stop() hooks run), instead of waiting

${CONNECTION_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      ...CONNECTION_OPTIONS,
      follow: { type: 'boolean' },
      event: { type: 'string', multiple: true },
      count: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (positionals.length < 2 || positionals.length > 3) throw new UsageError(`call takes OBJECT METHOD [ARGS-JSON], got ${positionals.length} arguments`);
    const [object, method, rawArgs] = positionals as [string, string, string | undefined];
    const args = parseCallArgs(rawArgs);
    const n = count(values.count, '--count');
    if ((n !== undefined || values.event) && !values.follow) throw new UsageError('--count and --event need --follow');
    const settings = connectionSettings(values);
    // --force: in as an observer (never refused), then the lease taken by force.
    const client = createClient(settings, values.force ? 'observer' : 'controller');
    try {
      // Listen before connecting and calling: the method may push while it runs.
      const following = values.follow ? followEvents(client, { events: values.event ?? [], count: n }) : null;
      following?.catch(() => {}); // awaited below, once the call is answered
      await connectClient(client, settings);
      if (values.force) await client.takeControl({ force: true });
      const result = await client.call(object, method, args);
      // With --follow every line is an object: the answer is told apart from the events around it.
      out(json(following ? { result: result ?? null } : result));
      if (following) await following;
    } finally {
      await client.close();
    }
    return EXIT.ok;
  },
};

export function parseCallArgs(raw: string | undefined): unknown[] | Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new UsageError(`ARGS-JSON is not JSON (${(e as Error).message}): ${raw}`);
  }
  if (value === null || typeof value !== 'object') {
    throw new UsageError(`ARGS-JSON must be a JSON array or object, got ${raw}; for one positional argument write [${raw}]`);
  }
  return value as unknown[] | Record<string, unknown>;
}
