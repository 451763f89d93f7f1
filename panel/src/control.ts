/**
 * Control mode: this tab holds the robot. Wires the connection to the upload,
 * start-and-call, history and STOP parts, and every pushed event to the log and plot.
 */
import type { ServerToClientEvents, WorkerStatus } from '#protocol';
import { parseArgs } from './args.js';
import { Caller } from './caller.js';
import type { Shared } from './shared.js';
import { CallHistory } from './history.js';
import { Link, type LinkState } from './link.js';
import { StopButton } from './stop.js';
import { Uploader } from './upload.js';

/** The broker's own events: everything else on this socket is the robot's. Typed, so a new one breaks the build. */
const BROKER_EVENTS: Record<keyof ServerToClientEvents, true> = { worker_status: true, broker_error: true, events_shed: true, robot_log: true };

export function startControl(env: Shared, clientId: string): Link<ServerToClientEvents> {
  const { status, log, plot } = env;
  const link = new Link<ServerToClientEvents>({ url: location.origin, namespace: '', clientId, onState });
  const history = new CallHistory(
    (r) => {
      const parsed = parseArgs(r.args);
      if (parsed.ok) void caller.run(r.object, r.method, parsed.args);
    },
    (r) => caller.select(r.object, r.method, r.args),
  );
  const caller = new Caller(link, history);
  const stop = new StopButton((t) => caller.run(t.object, t.method, undefined));
  caller.onProject((p) => stop.setProject(p));
  new Uploader(link, () => caller.projectReplaced());

  let worker: WorkerStatus | null = null;
  link.on('worker_status', (s) => {
    status.setWorker(s);
    // The timeline shows changes, not the repeat sent on every (re)connection.
    if (!worker || worker.state !== s.state || worker.generation !== s.generation) log.system('worker_status', s);
    worker = s;
  });
  link.on('broker_error', (e) => {
    status.toast(`${e.data.code}: ${e.message}`, 'err');
    log.system('broker_error', e);
  });
  link.on('events_shed', (r) => log.shed(r.shed, r.total));
  link.onAny((name, data) => {
    if (Object.hasOwn(BROKER_EVENTS, name)) return;
    log.add(name, data);
    plot.add(name, data);
  });

  function onState(s: LinkState): void {
    status.setLink(s);
    const connected = s.kind === 'connected';
    caller.setEnabled(connected);
    stop.setConnected(connected);
    env.timeline(s);
    if (s.kind === 'unauthorized') env.tokenRefused();
  }
  return link;
}
