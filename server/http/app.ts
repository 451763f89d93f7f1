/**
 * The HTTP side, on fastify: the panel's files at `/` (panel.ts), the routes others
 * add (`/health`, `/stats`, `/metrics` from observability/), security headers
 * (security-headers.ts), and one JSON error shape for everything that goes wrong
 * (errors.ts). fastify's router and error handling mean no request, however
 * malformed, can throw out of a handler and take the server down.
 *
 * Routes answer GET and HEAD; any other method on a path that exists gets 405 with
 * `Allow`, a path that does not exist 404.
 */
import type { Server as HttpServer } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireCjs } from '../../ipc/cjs.js';
import type { Logger } from '../logger.js';
import { clientErrorHandler, errorHandler, frameworkErrors, sendError } from './errors.js';
import { inlineScriptHashes, isPanelPath, registerPanel } from './panel.js';
import { registerSecurityHeaders } from './security-headers.js';

const { default: Fastify, LogController } = requireCjs('fastify') as typeof import('fastify');

export type HttpApp = FastifyInstance;

export interface HttpOptions {
  /** The built panel (dist/panel). */
  panelDir: string;
  log: Logger;
}

/** No route reads a body: a few KiB is room for any mistake, and nothing for an attack. */
const BODY_LIMIT = 16 * 1024; // bytes
/** Node's own default (fastify's is none): a request must arrive within this. */
const REQUEST_TIMEOUT = 300_000; // ms
const PANEL_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** Everything but the query: what a method is or is not allowed on. */
const pathOf = (url: string): string => url.split('?', 1)[0]!;

export async function createHttpApp(o: HttpOptions): Promise<HttpApp> {
  const log = o.log.child({ module: 'http' });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // A line per request would drown the log (health checkers poll); errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    requestTimeout: REQUEST_TIMEOUT,
    clientErrorHandler: clientErrorHandler(log),
    frameworkErrors,
  });

  // Which methods each exact path has, for 405's Allow (the panel's wildcard is not one).
  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (r) => {
    if (r.url.includes('*')) return;
    const methods = routes.get(r.url) ?? new Set<string>();
    for (const m of [r.method].flat()) methods.add(m);
    routes.set(r.url, methods);
  });
  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(req.url);
    const allowed = routes.get(path) ?? (isPanelPath(o.panelDir, path) ? PANEL_METHODS : undefined);
    const shown = JSON.stringify(path.slice(0, 200));
    if (allowed && !allowed.has(req.method)) {
      const allow = [...allowed].sort().join(', ');
      reply.header('allow', allow);
      return sendError(reply, 405, `${req.method.slice(0, 20)} is not allowed on ${shown} (allowed: ${allow})`);
    }
    return sendError(reply, 404, `nothing at ${shown}`);
  });

  await registerSecurityHeaders(app, inlineScriptHashes(o.panelDir));
  await registerPanel(app, o.panelDir);
  return app;
}

/** Listen on exactly one address, as `http.Server#listen` does (fastify's own would bind every address of "localhost"). */
export async function listen(app: HttpApp, port: number, host: string): Promise<HttpServer> {
  await app.ready();
  const server = app.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
