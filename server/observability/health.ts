/**
 * `GET /health` for load balancers and systemd/docker health checks: 200 when the
 * server answers and the worker is ready with a fresh heartbeat, 503 with the
 * reason otherwise. No auth, and nothing in it a stranger should not see (no pid,
 * no token, no project, no addresses).
 */
import { sendJson, type Route } from '../http.js';
import type { Supervisor } from '../supervisor.js';

export interface HealthOptions {
  supervisor: Supervisor;
  startedAt: number;
  /** A ready worker whose last pong is older than this (ms) is reported unhealthy. */
  staleAfterMs: number;
  closing: () => boolean;
  /** What robot code runs in, and the warning when it runs unconfined. */
  sandbox: { mode: string; warning: string | null };
}

export function healthRoute(o: HealthOptions): Route {
  return (_req, res) => {
    const now = Date.now();
    const w = o.supervisor.health();
    const heartbeatAgeMs = w.heartbeat.lastPongAt ? now - w.heartbeat.lastPongAt : null;
    let reason: string | null = null;
    if (o.closing()) reason = 'the broker is stopping';
    else if (w.state !== 'ready') reason = `worker ${w.state}${w.reason ? `: ${w.reason}` : ''}`;
    else if (heartbeatAgeMs !== null && heartbeatAgeMs > o.staleAfterMs) reason = `worker heartbeat stale: no pong for ${heartbeatAgeMs} ms`;
    sendJson(res, reason ? 503 : 200, {
      status: reason ? 'unavailable' : 'ok',
      server: o.closing() ? 'stopping' : 'ready',
      worker: w.state,
      ...(reason ? { reason } : {}),
      generation: w.generation,
      restarts: w.restarts,
      uptimeSeconds: Math.round((now - o.startedAt) / 1000),
      heartbeat: {
        rttMs: w.heartbeat.rttMs === null ? null : Math.round(w.heartbeat.rttMs * 1000) / 1000,
        ageMs: heartbeatAgeMs,
      },
      sandbox: { mode: o.sandbox.mode, ...(o.sandbox.warning ? { warning: o.sandbox.warning } : {}) },
    });
  };
}
