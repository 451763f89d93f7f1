/**
 * `GET /metrics`: the /stats figures in Prometheus text format (prom-client), on a
 * registry of this broker's own (several brokers may share a process, as in the
 * tests). Durations are histograms observed as calls complete; everything else is
 * read from the collectors at scrape time, so the hot path pays for nothing more.
 * Label sets are bounded: methods and pushed event names are capped like in /stats.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as promClient from 'prom-client';
import { requireCjs } from '../../ipc/cjs.js';
import type { Supervisor } from '../supervisor.js';
import type { StatsCollector } from './stats.js';

const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = requireCjs('prom-client') as typeof promClient;
type Registry = promClient.Registry;
type Histogram<L extends string> = promClient.Histogram<L>;

const P = 'robot_control_';
/** Seconds: from a quick robot call to the 300 s default deadline. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const WORKER_STATES = ['starting', 'ready', 'restarting', 'failed', 'stopped'] as const;

type Sample = [labels: Record<string, string>, value: number];

export interface MetricsSources {
  stats: StatsCollector;
  supervisor: Supervisor;
  startedAt: number;
}

/** A counter whose value is read from elsewhere at each scrape. */
function readCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Iterable<Sample>): void {
  new Counter({
    name: P + name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

/** A gauge read at each scrape; `null` values are left out. */
function readGauge(registry: Registry, name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number | null]>): void {
  new Gauge({
    name: P + name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) {
        // Unknown is absent, not 0 (a 0 ms round trip would be a lie).
        if (value === null) this.remove(labels);
        else this.set(labels, value);
      }
    },
  });
}

/** A lookup of a histogram's child per value of its one label (values are capped upstream). */
function childrenOf<L extends string>(histogram: Histogram<L>, label: L): (value: string) => promClient.Histogram.Internal<L> {
  const children = new Map<string, promClient.Histogram.Internal<L>>();
  return (value) => {
    let child = children.get(value);
    if (!child) {
      child = histogram.labels({ [label]: value } as Partial<Record<L, string>>);
      children.set(value, child);
    }
    return child;
  };
}

export function createMetrics(src: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { stats, supervisor } = src;
  const one = (value: number | null): Array<[Record<string, string>, number | null]> => [[{}, value]];

  const commandDuration = new Histogram({
    name: `${P}command_duration_seconds`,
    help: 'Time from a command arriving to its acknowledgement, by command.',
    labelNames: ['command'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const methodDuration = new Histogram({
    name: `${P}method_duration_seconds`,
    help: 'Duration of process calls that reached a robot method, by object.method (capped; the rest are "(other)").',
    labelNames: ['method'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  // Resolve each label's child once: prom-client hashes the label object on every call otherwise.
  const byCommand = childrenOf(commandDuration, 'command');
  const byMethod = childrenOf(methodDuration, 'method');
  stats.observe(({ command, method, seconds }) => {
    byCommand(command).observe(seconds);
    if (method) byMethod(method).observe(seconds);
  });

  readGauge(registry, 'uptime_seconds', 'Seconds since the broker started.', [], () => one((Date.now() - src.startedAt) / 1000));

  // The controlling client.
  readGauge(registry, 'client_connected', '1 while a controlling client is connected.', [], () => one(stats.client().connected ? 1 : 0));
  readGauge(registry, 'client_connected_since_seconds', 'Unix time the current client connected.', [], () => {
    const since = stats.client().since;
    return one(since ? Date.parse(since) / 1000 : null);
  });
  readGauge(registry, 'client_ping_rtt_seconds', 'Last Socket.IO ping -> pong round trip to the client.', [], () => {
    const rtt = stats.client().heartbeat?.rttMs;
    return one(rtt == null ? null : rtt / 1000);
  });
  readCounter(registry, 'client_connections_total', 'Connection attempts on the main namespace, by outcome.', ['outcome'], () => [
    [{ outcome: 'accepted' }, stats.connections.accepted],
    [{ outcome: 'unauthorized' }, stats.connections.refused.unauthorized],
    [{ outcome: 'busy' }, stats.connections.refused.busy],
  ]);
  readGauge(registry, 'monitors_connected', 'Connected /monitor sockets.', [], () => one(stats.monitors().connected));
  readCounter(registry, 'monitor_events_dropped_total', 'Monitor events dropped because a monitor could not keep up.', [], () => [[{}, stats.monitors().dropped]]);

  // Traffic.
  const traffic = (field: 'messages' | 'bytes'): Sample[] => {
    const out: Sample[] = [];
    for (const [peer, t] of Object.entries(stats.traffic())) {
      out.push([{ peer, direction: 'in' }, field === 'messages' ? t.messagesIn : t.bytesIn]);
      out.push([{ peer, direction: 'out' }, field === 'messages' ? t.messagesOut : t.bytesOut]);
    }
    return out;
  };
  readCounter(registry, 'socket_messages_total', 'Socket.IO packets, by direction and peer (client or monitor).', ['direction', 'peer'], () => traffic('messages'));
  readCounter(registry, 'socket_bytes_total', 'Engine.io payload bytes, by direction and peer.', ['direction', 'peer'], () => traffic('bytes'));

  // Commands, methods, errors.
  const outcomes = function* (rows: Iterable<[string, { count: number; errors: number }]>, label: string): Iterable<Sample> {
    for (const [name, r] of rows) {
      yield [{ [label]: name, status: 'success' }, r.count - r.errors];
      yield [{ [label]: name, status: 'error' }, r.errors];
    }
  };
  readCounter(registry, 'commands_total', 'Commands answered, by command and status.', ['command', 'status'], () => outcomes(stats.commands.counts(), 'command'));
  readCounter(registry, 'method_calls_total', 'Process calls that reached a robot method, by object.method and status.', ['method', 'status'], () =>
    outcomes(stats.methods.counts(), 'method'),
  );
  readCounter(registry, 'errors_total', 'Errors answered or refused, by code.', ['code'], () => [...stats.errors].map(([code, n]): Sample => [{ code }, n]));
  readCounter(registry, 'ipc_rejected_total', 'Frames from the worker side dropped, by reason (bad_frame, reserved_event, wrong_worker, ...).', ['reason'], () =>
    [...stats.ipcRejected].map(([reason, n]): Sample => [{ reason }, n]),
  );
  readCounter(registry, 'auth_failures_total', 'Refused tokens (and foreign origins), by surface (socket.io, monitor, stats, metrics, origin).', ['surface'], () =>
    [...stats.authFailures].map(([surface, n]): Sample => [{ surface }, n]),
  );

  // The worker.
  readGauge(registry, 'worker_up', '1 while the worker is ready.', [], () => one(supervisor.status().state === 'ready' ? 1 : 0));
  readGauge(registry, 'worker_state', 'The worker state: 1 for the current one.', ['state'], () => {
    const now = supervisor.status().state;
    return WORKER_STATES.map((state): [Record<string, string>, number] => [{ state }, state === now ? 1 : 0]);
  });
  readGauge(registry, 'worker_generation', 'How many workers have been started.', [], () => one(supervisor.status().generation));
  readCounter(registry, 'worker_restarts_total', 'Worker restarts after a crash or a wedge.', [], () => [[{}, supervisor.status().restarts]]);
  readGauge(registry, 'worker_heartbeat_rtt_seconds', 'Last server -> worker heartbeat round trip.', [], () => {
    const rtt = supervisor.health().heartbeat.rttMs;
    return one(rtt === null ? null : rtt / 1000);
  });
  readGauge(registry, 'worker_heartbeat_age_seconds', 'Seconds since the worker last answered a heartbeat.', [], () => {
    const at = supervisor.health().heartbeat.lastPongAt;
    return one(at ? (Date.now() - at) / 1000 : null);
  });
  readGauge(registry, 'worker_heap_used_bytes', 'The worker heap in use, from its last heartbeat.', [], () => one(supervisor.health().memory?.heapUsed ?? null));
  readGauge(registry, 'worker_rss_bytes', 'The worker resident set size, from its last heartbeat.', [], () => one(supervisor.health().memory?.rss ?? null));
  readGauge(registry, 'worker_spares', 'Standby workers now, ready or booting (robot_control_worker_spares_wanted: how many are kept).', ['state'], () => {
    const { ready, booting } = supervisor.health().spares;
    return [[{ state: 'ready' }, ready], [{ state: 'booting' }, booting]];
  });
  readGauge(registry, 'worker_spares_wanted', 'Standby workers wanted now: worker.standby, grown by auto after updates back to back, 0 after worker.standby_quiet.', [], () =>
    one(supervisor.health().spares.kept),
  );

  // Pushes and the project.
  readCounter(registry, 'pushed_events_total', 'Robot pushes by event name (the busiest 100; the rest are "(other)").', ['event'], () =>
    Object.entries(stats.pushedByEvent()).map(([event, n]): Sample => [{ event }, n]),
  );
  readCounter(registry, 'push_outcomes_total', 'Robot pushes by outcome: delivered, shed (client too slow), no_client, stale (old worker).', ['outcome'], () => {
    const p = stats.pushCounters();
    return [
      [{ outcome: 'delivered' }, p.delivered],
      [{ outcome: 'shed' }, p.shed],
      [{ outcome: 'no_client' }, p.noClient],
      [{ outcome: 'stale' }, p.stale],
    ];
  });
  readGauge(registry, 'project_info', 'The current project (1), labelled with its type and entry.', ['type', 'entry'], () =>
    stats.project ? [[{ type: stats.project.type, entry: stats.project.entry }, 1]] : [],
  );
  return registry;
}

export interface MetricsRouteOptions {
  registry: Registry;
  authorize: (req: FastifyRequest, reply: FastifyReply) => boolean;
}

export function metricsRoute(o: MetricsRouteOptions): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (req, reply) => {
    if (!o.authorize(req, reply)) return reply;
    // A failing collector throws here: the HTTP error handler answers 500 and logs it.
    const text = await o.registry.metrics();
    return reply.code(200).header('content-type', o.registry.contentType).header('cache-control', 'no-store').send(text);
  };
}
