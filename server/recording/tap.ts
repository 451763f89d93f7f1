/**
 * The session as named channels: every robot push under its own event name, and the
 * broker's commands, acks, worker status and robot output under topics of their own.
 * Recordings (MCAP) and the Foxglove endpoint both read the session through this tap,
 * so a channel is named the same in a file and in Foxglove Studio.
 *
 * The tap listens to BrokerEvents only while something consumes it: with recording
 * and Foxglove off it holds no listener, and the push relay skips building its
 * `push` event altogether (it checks listenerCount), so the hot path pays nothing.
 */
import type { MonitorAck, MonitorCommand, MonitorPush, WorkerStatus } from '../../ipc/protocol.js';
import type { RobotLogLine } from '../../ipc/protocol.js';
import type { BrokerEventMap, BrokerEvents } from '../broker-events.js';

/** The broker's own channels. Robot events keep their names (see pushTopic). */
export const TOPICS = {
  command: '/command',
  ack: '/ack',
  workerStatus: 'worker_status',
  robotLog: 'robot_log',
} as const;

/** Who produced a channel's messages: the robot's code, or the broker. Kept in each MCAP channel's metadata. */
export type ChannelSource = 'robot' | 'broker';

/** One message of the session. */
export interface TapRecord {
  topic: string;
  source: ChannelSource;
  /** When it happened, ms since the epoch: the event's own timestamp. */
  at: number;
  data: unknown;
}

const BROKER_TOPICS: ReadonlySet<string> = new Set(Object.values(TOPICS));

/** A robot event's channel: its own name, unless that is one of the broker's (then `robot:<name>`). */
export function pushTopic(event: string): string {
  return BROKER_TOPICS.has(event) ? `robot:${event}` : event;
}

/** BrokerEvents (and /monitor events, which are the same objects) as tap records. */
export const toRecord = {
  push: (p: MonitorPush): TapRecord => ({ topic: pushTopic(p.event), source: 'robot', at: p.at, data: p.data ?? null }),
  command: (c: MonitorCommand): TapRecord => ({ topic: TOPICS.command, source: 'broker', at: c.at, data: c }),
  ack: (a: MonitorAck): TapRecord => ({ topic: TOPICS.ack, source: 'broker', at: a.at, data: a }),
  /** A status carries no time of its own: the moment it is seen. */
  worker_status: (s: WorkerStatus, at = Date.now()): TapRecord => ({ topic: TOPICS.workerStatus, source: 'broker', at, data: s }),
  robot_log: (l: RobotLogLine): TapRecord => ({ topic: TOPICS.robotLog, source: 'robot', at: Number.isFinite(l.ts) ? l.ts : Date.now(), data: l }),
};

type Tapped = 'push' | 'command' | 'ack' | 'worker_status' | 'robot_log';
const TAPPED: readonly Tapped[] = ['push', 'command', 'ack', 'worker_status', 'robot_log'];

export type TapConsumer = (record: TapRecord) => void;

export class SessionTap {
  private consumers: TapConsumer[] = [];
  private readonly listeners = new Map<Tapped, (payload: never) => void>();

  constructor(private readonly events: BrokerEvents) {
    for (const name of TAPPED) {
      const convert = toRecord[name] as (payload: BrokerEventMap[typeof name][0]) => TapRecord;
      this.listeners.set(name, ((payload: BrokerEventMap[typeof name][0]) => this.emit(convert(payload))) as (p: never) => void);
    }
  }

  /** Receive every record until the returned function is called. */
  subscribe(consumer: TapConsumer): () => void {
    if (this.consumers.length === 0) for (const [name, fn] of this.listeners) this.events.on(name, fn as never);
    this.consumers = [...this.consumers, consumer];
    return () => {
      const before = this.consumers.length;
      this.consumers = this.consumers.filter((c) => c !== consumer);
      if (before > 0 && this.consumers.length === 0) for (const [name, fn] of this.listeners) this.events.off(name, fn as never);
    };
  }

  get active(): boolean {
    return this.consumers.length > 0;
  }

  private emit(record: TapRecord): void {
    // A copy-on-write array: a consumer that unsubscribes mid-loop does not skip the next.
    for (const c of this.consumers) c(record);
  }
}
