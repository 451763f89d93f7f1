/**
 * `robot-control dev DIR`: upload DIR, then pack and re-upload it on every save,
 * so the robot runs the new code a moment later. Saves that come in a burst (an
 * editor writing several files, a formatter) make one upload; a save during an
 * upload makes one more upload after it.
 *
 * dev observes, and holds the control lease only while it uploads (take_control,
 * update, start, release_control; never forced): an operator can drive the robot from
 * the panel meanwhile, and a save made while they hold it waits until they release it.
 */
import { resolve, sep } from 'node:path';
import { BrokerError, RobotClientError } from '../client/errors.js';
import { packProject, SKIPPED_DIRS } from '../client/pack.js';
import type { RobotClient } from '../client/robot-client.js';
import { EXIT, type Command } from './command.js';
import { connectClient, createClient } from './connect.js';
import { watchTree, type TreeWatcher } from './folder-watcher.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, parse, UsageError } from './options.js';
import { describeError, err, out } from './output.js';
import { eventLine, lostConnection } from './events.js';
import type { RobotLogLine } from '../ipc/protocol.js';

const DEFAULT_DEBOUNCE_MS = 100;

export const dev: Command = {
  name: 'dev',
  summary: 'upload a folder, then re-upload it on every save',
  help: `Usage: robot-control dev DIR [--debounce MS] [--events] [options]

Uploads DIR (packed as by \`pack\`), then watches it and uploads again after every
change, so the robot runs the new code within a second. Each upload is followed by
\`start\`; one line per upload says what happened, and what the robot prints
(console.log, print) shows as it happens, as \`[robot] ...\` / \`[robot stderr] ...\`:
  upload #2 ok: javascript main.js, 2 files, 1234 bytes in 310 ms; objects: robot[add, move]
  upload #3 error: E_PROJECT_LOAD: ... {"file":"main.js","line":3}
A project that fails to load is refused and the previous one keeps running; fix
the file and save again. Changes under ${[...SKIPPED_DIRS].join(', ')} are ignored.
Runs until Ctrl-C.

dev connects as an observer and takes the robot (the control lease) only while it
uploads, then releases it (the robot's stop() hooks run then). Meanwhile the panel,
\`call\` and \`watch\` work as usual. While someone else holds the robot, an upload
waits (one line says who holds it) and goes out once they release it; dev never
takes the robot by force.

Options:
  --debounce MS      wait this long after the last change before packing (default ${DEFAULT_DEBOUNCE_MS})
  --events           also print pushed events as JSON lines, as \`watch\` does

${CONNECTION_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...CONNECTION_OPTIONS, debounce: { type: 'string' }, events: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError(`dev takes one folder, got ${positionals.length} arguments`);
    const debounceMs = values.debounce === undefined ? DEFAULT_DEBOUNCE_MS : Number(values.debounce);
    if (!Number.isFinite(debounceMs) || debounceMs < 0) throw new UsageError(`--debounce: expected milliseconds, got "${values.debounce}"`);
    const dir = resolve(positionals[0]!);
    // Refuse a folder that is not a project before connecting (exit 1, E_NO_ENTRY / E_NOT_FOUND).
    const first = packProject(dir);
    const settings = connectionSettings(values);
    const client = createClient(settings, 'observer');
    // What the robot prints, as it prints it: the point of an edit-save-run loop.
    client.on('robot_log', (l: RobotLogLine) => out(`[robot${l.stream === 'stderr' ? ' stderr' : ''}] ${l.line}`));
    if (values.events) {
      client.onAny((event, data, meta) => {
        if (event !== 'robot_log') out(eventLine(event, data, meta));
      });
    }
    try {
      await connectClient(client, settings);
      err(`robot-control: dev: watching ${dir} (entry ${first.entry}) -> ${client.url}; Ctrl-C to stop`);
      return await new DevLoop(dir, client, debounceMs).run();
    } finally {
      await client.close();
    }
  },
};

class DevLoop {
  private uploads = 0;
  private uploading = false;
  /** A change arrived since the last upload began. */
  private dirty = false;
  /** The last upload never reached the broker: do it again once reconnected (or the lease is free). */
  private owed = false;
  /** The holder the last upload is waiting for (said once, not once per try). */
  private waitingFor: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private watcher: TreeWatcher | null = null;

  constructor(
    private readonly dir: string,
    private readonly client: RobotClient,
    private readonly debounceMs: number,
  ) {}

  /** Resolves with the exit code: 0 on Ctrl-C, 1 when the client gives up. */
  run(): Promise<number> {
    return new Promise<number>((resolveRun) => {
      const finish = (code: number) => {
        clearTimeout(this.timer);
        this.watcher?.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolveRun(code);
      };
      const onSignal = () => finish(EXIT.ok);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      this.client.on('disconnect', (reason) => {
        if (reason !== 'io client disconnect') err(`robot-control: ${lostConnection(reason)}; reconnecting...`);
      });
      this.client.on('connect', () => {
        err('robot-control: connected');
        if (this.owed) this.schedule(0);
      });
      this.client.on('control', (s) => {
        // The holder let go: the upload that waited for it goes out now.
        if (s.controller === null && this.waitingFor !== null && !this.uploading) this.schedule(0);
      });
      this.client.on('reconnect_failed', (e) => {
        err(`robot-control: ${describeError(e)}`);
        finish(EXIT.error);
      });
      this.watcher = watchTree(this.dir, {
        ignore: ignored,
        onChange: () => this.schedule(this.debounceMs),
        onError: (e) => {
          err(`robot-control: cannot watch ${this.dir}: ${e.message}`);
          finish(EXIT.error);
        },
      });
      void this.upload();
    });
  }

  private schedule(delayMs: number): void {
    this.dirty = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.uploading) void this.upload();
    }, delayMs);
  }

  private async upload(): Promise<void> {
    this.uploading = true;
    this.dirty = false;
    const n = this.uploads + 1;
    const started = performance.now();
    let holding = false;
    try {
      const packed = packProject(this.dir);
      await this.client.takeControl(); // never forced: an operator driving keeps the robot
      holding = true;
      this.waitingFor = null;
      this.uploads = n;
      const result = await this.client.update(packed.zip);
      const { objects } = await this.client.start();
      this.owed = false;
      const ms = Math.round(performance.now() - started);
      const listed = Object.entries(objects)
        .map(([name, methods]) => `${name}[${methods.join(', ')}]`)
        .join(' ');
      out(`upload #${n} ok: ${result.type} ${result.entry}, ${result.files} files, ${result.bytes} bytes in ${ms} ms; objects: ${listed || '(none)'}`);
    } catch (e) {
      if (!holding && e instanceof BrokerError && e.code === 'E_BUSY') {
        const holder = typeof e.details.controller === 'string' ? e.details.controller : 'another client';
        if (this.waitingFor !== holder) out(`upload #${n} waiting: "${holder}" holds the robot; uploading once it is released`);
        this.waitingFor = holder;
        return;
      }
      this.uploads = n;
      // Lost on the way (not refused by the broker): send it again after reconnecting.
      if (e instanceof RobotClientError && e.code !== 'E_CLOSED') this.owed = true;
      out(`upload #${n} error: ${describeError(e)}`);
    } finally {
      // Forced out meanwhile: nothing to give back (E_NOT_CONTROLLER), and nothing to do about it.
      if (holding) await this.client.releaseControl().catch(() => {});
      this.uploading = false;
    }
    if (this.dirty) this.schedule(this.debounceMs);
  }
}

/** A change inside node_modules/, .git/ or __pycache__/ never triggers an upload. */
function ignored(relativePath: string): boolean {
  return relativePath.split(sep).some((part) => SKIPPED_DIRS.has(part));
}
