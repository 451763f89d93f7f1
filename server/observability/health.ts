/**
 * `GET /health` for load balancers and systemd/docker health checks: 200 when the
 * server answers and the worker is ready with a fresh heartbeat, 503 with the
 * reason otherwise. No auth, and nothing in it a stranger should not see (no pid,
 * no token, no project, no addresses). Logs that cannot be written (a full disk)
 * make it `degraded`, still 200: the robot is served, and a restart would not help.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogState } from '../logger.js';
import type { Supervisor } from '../supervisor.js';

export interface HealthOptions {
  supervisor: Supervisor;
  startedAt: number;
  /** A ready worker whose last pong is older than this (ms) is reported unhealthy. */
  staleAfterMs: number;
  closing: () => boolean;
  /** Whether the log files are being written. */
  logs: () => LogState;
  /** What robot code runs in, and the warning when it runs unconfined. */
  sandbox: { mode: string; warning: string | null };
}

export function healthRoute(o: HealthOptions): (req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (_req, reply) => {
    const now = Date.now();
    const w = o.supervisor.health();
    const heartbeatAgeMs = w.heartbeat.lastPongAt ? now - w.heartbeat.lastPongAt : null;
    let reason: string | null = null;
    if (o.closing()) reason = 'the broker is stopping';
    else if (w.state !== 'ready') reason = `worker ${w.state}${w.reason ? `: ${w.reason}` : ''}`;
    else if (heartbeatAgeMs !== null && heartbeatAgeMs > o.staleAfterMs) reason = `worker heartbeat stale: no pong for ${heartbeatAgeMs} ms`;
    const logs = o.logs();
    const degraded = reason === null && !logs.writing ? `logs not written (${logs.error}): ${logs.dropped} lines dropped` : null;
    return reply.code(reason ? 503 : 200).header('cache-control', 'no-store').send({
      status: reason ? 'unavailable' : degraded ? 'degraded' : 'ok',
      server: o.closing() ? 'stopping' : 'ready',
      worker: w.state,
      ...(reason || degraded ? { reason: reason ?? degraded } : {}),
      generation: w.generation,
      restarts: w.restarts,
      uptimeSeconds: Math.round((now - o.startedAt) / 1000),
      heartbeat: {
        rttMs: w.heartbeat.rttMs === null ? null : Math.round(w.heartbeat.rttMs * 1000) / 1000,
        ageMs: heartbeatAgeMs,
      },
      logs,
      sandbox: { mode: o.sandbox.mode, ...(o.sandbox.warning ? { warning: o.sandbox.warning } : {}) },
    });
  };
}
