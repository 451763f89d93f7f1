/**
 * What happens in the broker, as typed events: the one place stats, metrics, the
 * events log, the /monitor namespace, recording and Foxglove listen to. Emitting with
 * no listener costs next to nothing, so the hot path pays only for what is switched on.
 */
import { EventEmitter } from 'node:events';
import type { Rejection } from '../ipc/frames.js';
import type { MonitorAck, MonitorClient, MonitorCommand, MonitorPush, RobotLogLine, WorkerStatus } from '../ipc/protocol.js';

export interface BrokerEventMap {
  command: [MonitorCommand];
  ack: [MonitorAck & { code?: string }];
  push: [MonitorPush];
  client: [MonitorClient];
  worker_status: [WorkerStatus];
  /** A frame from the worker side was dropped (server/sandbox/rejections.ts). */
  ipc_rejected: [Rejection];
  /** A line of robot output (server/sandbox/robot-output.ts). */
  robot_log: [RobotLogLine];
}

export class BrokerEvents extends EventEmitter<BrokerEventMap> {}
