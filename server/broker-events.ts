/**
 * What happens in the broker, as typed events: the one place stats, metrics, the
 * events log, the /monitor namespace, recording and Foxglove listen to. Emitting with
 * no listener costs next to nothing, so the hot path pays only for what is switched on.
 */
import { EventEmitter } from 'node:events';
import type { Rejection } from '../ipc/frame-check.js';
import type { ClientRole, MonitorAck, MonitorClient, MonitorCommand, MonitorPush, RobotLogLine, WorkerStatus } from '../ipc/protocol.js';
import type { ControlReason } from './control/lease.js';

/** The control lease changed hands (server/control/control-hub.ts). */
export interface ControlEvent {
  at: number;
  reason: ControlReason;
  /** The holder now, by clientId ("anonymous" without one), or null. */
  controller: string | null;
  previous: string | null;
  /** The address of the client that took, kept, released or lost it. */
  address: string | null;
  observers: number;
}

/** Someone pressed STOP (`emergency_stop`): who, and what it stopped. */
export interface EmergencyStopEvent {
  at: number;
  clientId: string | null;
  role: ClientRole;
  address: string;
  status: 'success' | 'error';
  stopped: string[];
  code?: string;
}

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
  control: [ControlEvent];
  emergency_stop: [EmergencyStopEvent];
}

export class BrokerEvents extends EventEmitter<BrokerEventMap> {}
