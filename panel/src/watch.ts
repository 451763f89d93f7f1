/**
 * Watch-only mode (`?watch=1`): the /monitor namespace, read-only and outside the
 * one-client rule. Shows the controlling client's commands and acks, the robot's
 * pushes (with what became of each) and the worker's state, without taking the robot.
 */
import type { MonitorEvents } from '#protocol';
import { Link, type LinkState } from './link.js';
import { showLost } from './replay.js';
import type { Shared } from './shared.js';
import { Traffic } from './traffic.js';
import { WorkerTimeline } from './worker-timeline.js';

export function startWatch(env: Shared): Link<MonitorEvents> {
  const { status, log, plot } = env;
  const link = new Link<MonitorEvents>({ url: location.origin, namespace: '/monitor', onState });
  const traffic = new Traffic();

  link.on('command', (c) => traffic.command(c));
  link.on('ack', (a) => {
    traffic.ack(a);
    // The controller uploaded a new project: the plot follows it.
    if (a.command === 'update' && a.status === 'success') plot.reset();
  });
  // /monitor replays nothing, and its seq runs on by one: a jump is what this tab missed
  // (the link was down, or it could not keep up). A smaller seq: the broker restarted.
  let lastSeq = 0;
  let lastAt = 0;
  link.on('push', (p) => {
    if (lastSeq > 0 && p.seq > lastSeq + 1) showLost(env, { from: lastSeq + 1, to: p.seq - 1, reason: 'not seen' }, lastAt);
    lastSeq = p.seq;
    lastAt = Date.now();
    // Arrival time, not p.at: the broker's clock may be far from this one.
    log.add(p.event, p.data, p.outcome === 'delivered' ? undefined : p.outcome.replace('_', ' '));
    plot.add(p.event, p.data);
  });
  link.on('client', (c) => {
    traffic.client(c);
    log.system(`client ${c.state}`, c);
  });
  const workerRows = new WorkerTimeline();
  link.on('worker_status', (s) => {
    status.setWorker(s);
    if (workerRows.accept(s)) log.system('worker_status', s);
  });
  link.on('robot_log', (l) => env.console.add(l));

  function onState(s: LinkState): void {
    status.setLink(s);
    plot.setLive(s.kind === 'connected');
    env.timeline(s);
    if (s.kind === 'unauthorized') env.tokenRefused();
  }
  return link;
}
