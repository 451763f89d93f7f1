/**
 * Watch-only mode (`?watch=1`): the /monitor namespace, read-only and outside the
 * one-client rule. Shows the controlling client's commands and acks, the robot's
 * pushes (with what became of each) and the worker's state, without taking the robot.
 */
import type { MonitorEvents } from '#protocol';
import { Link, type LinkState } from './link.js';
import type { Shared } from './shared.js';
import { Traffic } from './traffic.js';

export function startWatch(env: Shared): Link<MonitorEvents> {
  const { status, log, plot } = env;
  const link = new Link<MonitorEvents>({ url: location.origin, namespace: '/monitor', onState });
  const traffic = new Traffic();

  link.on('command', (c) => traffic.command(c));
  link.on('ack', (a) => traffic.ack(a));
  link.on('push', (p) => {
    // Arrival time, not p.at: the broker's clock may be far from this one.
    log.add(p.event, p.data, p.outcome === 'delivered' ? undefined : p.outcome.replace('_', ' '));
    plot.add(p.event, p.data);
  });
  link.on('client', (c) => {
    traffic.client(c);
    log.system(`client ${c.state}`, c);
  });
  link.on('worker_status', (s) => {
    status.setWorker(s);
    log.system('worker_status', s);
  });

  function onState(s: LinkState): void {
    status.setLink(s);
    env.timeline(s);
    if (s.kind === 'unauthorized') env.tokenRefused();
  }
  return link;
}
