/** Print what the broker pushes as JSON lines, and the connection's ups and downs on stderr. */
import type { RobotClient } from '../client/robot-client.js';
import type { PushMeta, ReplayGap, ReplayInfo, ServerToClientEvents } from '../ipc/protocol.js';
import { err, json, out } from './output.js';

/** The broker's own events (typed: a new one breaks the build). Printed, but not counted by --count unless named. */
const BROKER_EVENTS: Readonly<Record<keyof ServerToClientEvents, true>> = { worker_status: true, broker_error: true, events_shed: true, robot_log: true, control: true, project: true, replay_info: true, replay_gap: true };

export function isBrokerEvent(event: string): boolean {
  return Object.hasOwn(BROKER_EVENTS, event);
}

export interface FollowOptions {
  /** Only these events; empty: every event. */
  events: string[];
  /** Stop after this many printed events. */
  count?: number | undefined;
}

/** One event as a JSON line: `{"event","data","at"}`, and `"seq"` for a robot push. */
export function eventLine(event: string, data: unknown, meta: PushMeta | undefined): string {
  return json({ event, data, at: new Date().toISOString(), ...(meta && { seq: meta.seq }) });
}

/**
 * Print each pushed event as `{"event","data","at","seq"}` until `count` events, SIGINT/SIGTERM
 * (resolve), or the client gives up (reject with its error). Events missed while the link
 * was down are replayed by the SDK; what the broker could not keep is said on stderr.
 */
export function followEvents(client: RobotClient, options: FollowOptions): Promise<void> {
  const wanted = new Set(options.events);
  let printed = 0;
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown) => {
      client.offAny(onEvent);
      client.off('disconnect', onDisconnect);
      client.off('connect', onConnect);
      client.off('replay_info', onReplayInfo);
      client.off('replay_gap', onGap);
      client.off('reconnect_failed', finish);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (error) reject(error);
      else resolve();
    };
    const onEvent = (event: string, data: unknown, meta: PushMeta | undefined) => {
      if (wanted.size > 0 && !wanted.has(event)) return;
      out(eventLine(event, data, meta));
      // `--count 5` means five of the robot's events: a worker restart or a print in between is shown, not counted.
      if (wanted.size === 0 && isBrokerEvent(event)) return;
      printed += 1;
      if (options.count !== undefined && printed >= options.count) finish();
    };
    const onSignal = () => finish();
    const onDisconnect = (reason: string) => err(`robot-control: ${lostConnection(reason)}; reconnecting...`);
    const onConnect = () => err('robot-control: connected');
    const onReplayInfo = (info: ReplayInfo) => {
      if (info.replay > 0) err(`robot-control: replaying ${info.replay} events missed while disconnected (seq ${info.seq - info.replay + 1}..${info.seq})`);
    };
    const onGap = (gap: ReplayGap) => err(`robot-control: ${lostEvents(gap)}`);
    client.onAny(onEvent);
    client.on('disconnect', onDisconnect);
    client.on('connect', onConnect);
    client.on('replay_info', onReplayInfo);
    client.on('replay_gap', onGap);
    client.on('reconnect_failed', finish);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A `replay_gap` in plain words: exactly which seqs are lost, and why. */
export function lostEvents(gap: ReplayGap): string {
  if (gap.reason === 'restart') {
    const thisRun = gap.to >= gap.from ? `, and so is ${seqs(gap.from, gap.to)} of its new run` : '';
    return `the broker restarted (seq begins again at 1): what its previous run pushed after the last event received is lost${thisRun} [replay_gap: restart]`;
  }
  const [they, them] = gap.from === gap.to ? ['it', 'it'] : ['they', 'them'];
  return `lost ${seqs(gap.from, gap.to)}: ${they} left the broker's replay ring (replay.* in its config) before this client got ${them} [replay_gap: evicted]`;
}

/** "seq 7" or "seq 7..9 (3 events)". */
function seqs(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seq ${from}..${to} (${to - from + 1} events)`;
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
