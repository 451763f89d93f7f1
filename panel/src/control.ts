/**
 * Control mode: this tab drives the robot when it holds the control lease, and observes
 * otherwise (it connects as the controller when nobody holds the lease, else as an
 * observer). Wires the connection to the lease view, the upload, start-and-call,
 * history, STOP (emergency_stop: any role) and teleop parts, every pushed event to the
 * log and plot, and the robot's printed output to its console.
 */
import type { PushMeta, ServerToClientEvents } from '#protocol';
import { parseArgs } from './args.js';
import { Caller } from './caller.js';
import type { Shared } from './shared.js';
import { CallHistory } from './history.js';
import { LeaseView } from './lease.js';
import { Link, type LinkState } from './link.js';
import { showLost, StreamCursor } from './replay.js';
import { StopButton } from './stop.js';
import { Teleop } from './teleop.js';
import { Uploader } from './upload.js';
import { WorkerTimeline } from './worker-timeline.js';

/** The broker's own events: everything else on this socket is the robot's. Typed, so a new one breaks the build. */
const BROKER_EVENTS: Record<keyof ServerToClientEvents, true> = { worker_status: true, broker_error: true, events_shed: true, robot_log: true, control: true, project: true, replay_info: true, replay_gap: true };

export function startControl(env: Shared, clientId: string): Link<ServerToClientEvents> {
  const { status, log, plot } = env;
  // Where the push stream stopped: every reconnect asks the broker for what came meanwhile.
  const cursor = new StreamCursor();
  const link = new Link<ServerToClientEvents>({ url: location.origin, namespace: '', clientId, role: 'controller', auth: () => cursor.auth(), onState });
  const history = new CallHistory(
    (r) => {
      const parsed = parseArgs(r.args);
      if (parsed.ok) void caller.run(r.object, r.method, parsed.args);
    },
    (r) => caller.select(r.object, r.method, r.args),
  );
  const caller = new Caller(link, history);
  const stop = new StopButton(
    async () => {
      const { ack } = await link.call('emergency_stop', {});
      if (ack.status === 'success') return ack.data;
      throw new Error(`${ack.data.code}: ${ack.message}`);
    },
    (text, ok) => {
      status.toast(text, ok ? 'ok' : 'err');
      log.system('emergency_stop', text);
    },
  );
  const teleop = new Teleop(link);
  const lease = new LeaseView(clientId, {
    take: async (force) => (await link.call('take_control', force ? { force: true } : {})).ack,
    release: async () => (await link.call('release_control', {})).ack,
    toast: (text, tone) => status.toast(text, tone),
  });
  caller.onProject((p) => {
    stop.setProject(p);
    teleop.setProject(p);
  });
  const uploader = new Uploader(link, () => {
    caller.projectReplaced();
    // The old project's events are history: the plot follows the new one.
    plot.reset();
  });

  lease.onRole((role) => {
    const controlling = role === 'controller';
    caller.setControlling(controlling);
    uploader.setAllowed(controlling);
    teleop.setConnected(link.connected && controlling);
    document.body.dataset.role = role;
  });
  link.on('control', (s) => {
    // Reconnect as what this tab is now: a demoted controller comes back as an observer.
    link.role = s.role;
    lease.set(s);
    log.system('control', s);
  });
  // The broker says what is loaded: the picker and STOP need no Start.
  link.on('project', (p) => caller.projectFromBroker(p));

  const workerRows = new WorkerTimeline();
  link.on('worker_status', (s) => {
    status.setWorker(s);
    if (workerRows.accept(s)) log.system('worker_status', s);
  });
  link.on('robot_log', (l) => env.console.add(l));
  link.on('broker_error', (e) => {
    status.toast(`${e.data.code}: ${e.message}`, 'err');
    log.system('broker_error', e);
  });
  link.on('events_shed', (r) => log.shed(r.shed, r.total));
  link.on('replay_info', (info) => {
    cursor.start(info);
    if (info.replay > 0) log.note('replay_info', `replaying ${info.replay} missed event${info.replay === 1 ? '' : 's'}`, info);
  });
  // Before the next event it gets: from the newest event shown up to that one.
  link.on('replay_gap', (gap) => showLost(env, gap, cursor.lastAt));
  link.onAny((name, data, meta) => {
    if (Object.hasOwn(BROKER_EVENTS, name)) return;
    // When it happened, not when it came: replayed events come late.
    const at = cursor.received(meta as PushMeta | undefined);
    log.add(name, data, undefined, at);
    plot.add(name, data, at);
  });

  function onState(s: LinkState): void {
    status.setLink(s);
    const connected = s.kind === 'connected';
    caller.setEnabled(connected);
    stop.setConnected(connected);
    lease.setConnected(connected);
    plot.setLive(connected);
    env.timeline(s);
    if (s.kind === 'unauthorized') env.tokenRefused();
  }
  return link;
}
