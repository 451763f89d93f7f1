/** Print what the broker pushes as JSON lines, and the connection's ups and downs on stderr. */
import type { RobotClient } from '../client/index.js';
import type { ServerToClientEvents } from '../ipc/protocol.js';
import { err, json, out } from './output.js';

/** The broker's own events (typed: a new one breaks the build). Printed, but not counted by --count unless named. */
const BROKER_EVENTS: Readonly<Record<keyof ServerToClientEvents, true>> = { worker_status: true, broker_error: true, events_shed: true, robot_log: true, control: true, project: true, stream: true, replay_gap: true };

export function isBrokerEvent(event: string): boolean {
  return Object.hasOwn(BROKER_EVENTS, event);
}

export interface FollowOptions {
  /** Only these events; empty: every event. */
  events: string[];
  /** Stop after this many printed events. */
  count?: number | undefined;
}

/**
 * Print each pushed event as `{"event","data","at"}` until `count` events, SIGINT/SIGTERM
 * (resolve), or the client gives up (reject with its error).
 */
export function followEvents(client: RobotClient, options: FollowOptions): Promise<void> {
  const wanted = new Set(options.events);
  let printed = 0;
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown) => {
      client.offAny(onEvent);
      client.off('disconnect', onDisconnect);
      client.off('connect', onConnect);
      client.off('reconnect_failed', finish);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (error) reject(error);
      else resolve();
    };
    const onEvent = (event: string, data: unknown) => {
      if (wanted.size > 0 && !wanted.has(event)) return;
      out(json({ event, data, at: new Date().toISOString() }));
      // `--count 5` means five of the robot's events: a worker restart or a print in between is shown, not counted.
      if (wanted.size === 0 && isBrokerEvent(event)) return;
      printed += 1;
      if (options.count !== undefined && printed >= options.count) finish();
    };
    const onSignal = () => finish();
    const onDisconnect = (reason: string) => err(`robot-control: ${lostConnection(reason)}; reconnecting...`);
    const onConnect = () => err('robot-control: connected');
    client.onAny(onEvent);
    client.on('disconnect', onDisconnect);
    client.on('connect', onConnect);
    client.on('reconnect_failed', finish);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A dropped connection in plain words (Socket.IO's reason in brackets). */
export function lostConnection(reason: string): string {
  const plain: Record<string, string> = {
    'transport close': 'the connection closed (the broker stopped, or the network dropped)',
    'transport error': 'the connection failed (network trouble)',
    'ping timeout': 'the broker stopped answering (network trouble, or the broker is overloaded)',
    'io server disconnect': 'the broker closed the connection (it is stopping, or another client with this id took over)',
    'parse error': 'the broker sent something this client could not read',
  };
  return `disconnected: ${plain[reason] ?? reason} [${reason}]`;
}
