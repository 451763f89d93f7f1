/**
 * What happens in the broker, as typed events: the one place stats, metrics, the
 * events log, the /monitor namespace, recording and Foxglove listen to. Emitting with
 * no listener costs next to nothing, so the hot path pays only for what is switched on.
 */
import { EventEmitter } from 'node:events';
import type { MonitorAck, MonitorClient, MonitorCommand, MonitorPush, WorkerStatus } from '../ipc/protocol.js';

/** One line of robot output (stdout/stderr), as issue #14's `robot_log` event carries it. */
export interface RobotLogLine {
  stream: 'stdout' | 'stderr';
  line: string;
  /** When the line was read, ms since the epoch. */
  ts: number;
  generation: number;
}

export interface BrokerEventMap {
  command: [MonitorCommand];
  ack: [MonitorAck & { code?: string }];
  push: [MonitorPush];
  client: [MonitorClient];
  worker_status: [WorkerStatus];
  /** Robot output. Nothing emits it yet: whoever streams robot_log emits each line here, and recordings and Foxglove carry it. */
  robot_log: [RobotLogLine];
}

export class BrokerEvents extends EventEmitter<BrokerEventMap> {}
