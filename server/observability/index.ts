/**
 * Health, stats, metrics, the events log and the /monitor namespace all hang off
 * the broker here: they listen to BrokerEvents and add routes to the HTTP app.
 *
 *   GET /health   no auth; 200 or 503 with the reason        (health.ts)
 *   GET /stats    token; the figures as JSON                   (stats.ts)
 *   GET /metrics  token or metrics.token; Prometheus text      (metrics.ts)
 *   /monitor      Socket.IO namespace, token, read-only        (monitor.ts)
 *   events.log    connections, commands, restarts, security    (events-journal.ts)
 */
import type { FastifyInstance } from 'fastify';
import type { Server } from 'socket.io';
import type { BrokerEvents } from '../broker-events.js';
import type { ClientGate } from '../client-gate.js';
import type { Config } from '../config.js';
import { logState, type Logger } from '../logger.js';
import type { PushRelay } from '../push/relay.js';
import type { Supervisor } from '../supervisor.js';
import { installEventsJournal } from './events-journal.js';
import { healthRoute } from './health.js';
import { authorize } from './http-auth.js';
import { createMetrics, metricsRoute } from './metrics.js';
import { MONITOR_NAMESPACE, MonitorHub } from './monitor.js';
import { StatsCollector } from './stats.js';
import { TrafficMeter } from './traffic.js';

export interface ObservabilityContext {
  config: Config;
  token: string;
  log: Logger;
  events: BrokerEvents;
  supervisor: Supervisor;
  gate: ClientGate;
  relay: PushRelay;
  io: Server;
  /** The HTTP app the routes are added to (before it listens). */
  http: FastifyInstance;
  startedAt: number;
  /** What robot code runs in (for /health). */
  sandbox: { mode: string; warning: string | null };
}

export interface Observability {
  readonly stats: StatsCollector;
  readonly monitor: MonitorHub;
  /** Report a refusal on a surface (counted in /stats, /metrics; an `auth_failed` line in events.log): origin, foxglove, recordings. */
  authFailed(surface: string, address: string, reason: string): void;
  close(): Promise<void>;
}

export function installObservability(ctx: ObservabilityContext): Observability {
  const log = ctx.log.child({ module: 'observability' });
  let closing = false;
  const journal = installEventsJournal(ctx.events, ctx.log);
  const traffic = new TrafficMeter(ctx.io);
  // Set once the hub exists; the collector only asks at snapshot time.
  let monitor: MonitorHub | null = null;
  const stats = new StatsCollector({
    events: ctx.events,
    supervisor: ctx.supervisor,
    gate: ctx.gate,
    relay: ctx.relay,
    traffic,
    connOf: (id) => ctx.io.sockets.sockets.get(id)?.conn,
    monitors: () => ({ connected: monitor?.connected ?? 0, dropped: monitor?.dropped ?? 0 }),
    logs: () => logState(ctx.log),
    startedAt: ctx.startedAt,
  });
  const authFailed = (surface: string, address: string, reason: string): void => {
    stats.authFailed(surface);
    journal.authFailed(surface, address, reason);
  };

  monitor = new MonitorHub({
    nsp: ctx.io.of(MONITOR_NAMESPACE),
    token: ctx.token,
    events: ctx.events,
    supervisor: ctx.supervisor,
    gate: ctx.gate,
    log,
    backlogLimit: ctx.config.websocket.max_client_backlog,
    onAuthFailure: (address) => authFailed('monitor', address, 'wrong or missing token'),
    onConnection: (conn) => traffic.setPeer(conn, 'monitor'),
  });

  const onClientConnection = (socket: { conn: object }): void => traffic.setPeer(socket.conn, 'client');
  ctx.io.on('connection', onClientConnection);

  const registry = createMetrics({ stats, supervisor: ctx.supervisor, startedAt: ctx.startedAt });
  const metricsTokens = [ctx.token, ctx.config.metrics.token];

  ctx.http.get(
    '/health',
    healthRoute({
      supervisor: ctx.supervisor,
      startedAt: ctx.startedAt,
      // Three missed heartbeats (and a second of slack) is unhealthy, well before the supervisor
      // gives up on the worker at heartbeat_timeout.
      staleAfterMs: Math.round(Math.min(ctx.config.worker.heartbeat_timeout, 3 * ctx.config.worker.heartbeat_interval + 1) * 1000),
      closing: () => closing,
      logs: () => logState(ctx.log),
      sandbox: ctx.sandbox,
    }),
  );
  ctx.http.get('/stats', (req, reply) => {
    if (!authorize(req, reply, 'stats', [ctx.token], authFailed)) return reply;
    return reply.header('cache-control', 'no-store').send(stats.snapshot());
  });
  ctx.http.get(
    '/metrics',
    metricsRoute({
      registry,
      authorize: (req, reply) => authorize(req, reply, 'metrics', metricsTokens, authFailed),
    }),
  );

  return {
    stats,
    monitor,
    authFailed,
    close: async () => {
      closing = true;
      ctx.io.off('connection', onClientConnection);
      monitor?.close();
      stats.close();
      traffic.close();
      journal.close();
      registry.clear();
    },
  };
}
