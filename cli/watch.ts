/** `robot-control watch [EVENT...]`: print pushed events as JSON lines. */
import { EXIT, type Command } from './command.js';
import { connectClient, createClient } from './connect.js';
import { followEvents } from './events.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, count, parse, UsageError } from './options.js';
import { err } from './output.js';

export const watch: Command = {
  name: 'watch',
  summary: 'print pushed events as JSON lines (an observer: runs beside the panel, call, dev)',
  help: `Usage: robot-control watch [EVENT...] [--count N] [--rate EVENT=HZ]... [options]

Prints each event the broker sends (all of them, or only the EVENTs named) as one
JSON line: {"event":"odometry","data":{...},"at":"2024-01-01T00:00:00.000Z","seq":42}.
seq is the broker's sequence number of a robot event. The broker's own events are
included: worker_status, events_shed, broker_error, replay_info, replay_gap, and robot_log
(a line the robot printed: {"stream","line","ts","generation"}).
Runs until Ctrl-C, or until N events with --count (the robot's events: the broker's
own are printed but not counted, unless named). Reconnects when the link drops, and
the broker replays what was pushed meanwhile, in order; events it no longer had are
named on stderr ("lost seq 51..120 ...").

Watch connects as an observer: it never holds the robot, so \`call\`, \`dev\` and the
panel work beside it (and any number of watches). The broker's \`control\` (who
holds the robot) and \`project\` (the loaded project's methods) events are printed
too, on connect and whenever they change.

Options:
  --count N          exit after N events (the broker's own events do not count unless named)
  --rate EVENT=HZ    at most HZ of the "latest" event EVENT a second (repeatable;
                     the broker's subscribe: docs/REPLAY.md)

${CONNECTION_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...CONNECTION_OPTIONS, count: { type: 'string' }, rate: { type: 'string', multiple: true } });
    const n = count(values.count, '--count');
    const rates = (values.rate ?? []).map(rate);
    const settings = connectionSettings(values);
    // An observer: admitted beside the controller (the panel, call, dev); it takes nothing.
    const client = createClient(settings, 'observer');
    try {
      // Listening before connecting: the broker sends worker_status at once.
      const following = followEvents(client, { events: positionals, count: n });
      following.catch(() => {}); // awaited below
      err(`robot-control: watching ${positionals.length > 0 ? positionals.join(', ') : 'every event'} on ${client.url} (Ctrl-C to stop)`);
      await connectClient(client, settings);
      // Kept by the SDK across reconnects; a rate the broker refuses exits 1 with its code.
      await Promise.all(rates.map(([event, hz]) => client.subscribe(event, hz)));
      await following;
    } finally {
      await client.close();
    }
    return EXIT.ok;
  },
};

/** `--rate EVENT=HZ` as [EVENT, HZ]. */
function rate(value: string): [string, number] {
  const at = value.lastIndexOf('=');
  const hz = Number(value.slice(at + 1));
  if (at < 1 || !(hz > 0 && Number.isFinite(hz))) {
    throw new UsageError(`--rate: expected EVENT=HZ with HZ a number above 0, got "${value}"`);
  }
  return [value.slice(0, at), hz];
}
