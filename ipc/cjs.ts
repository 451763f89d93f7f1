/**
 * CommonJS packages are loaded with `require`, not `import`ed: at start, by the server
 * (fastify, socket.io, pino, prom-client, @fastify/static, @fastify/helmet, zeromq), its
 * unpack and log threads (adm-zip, pino-pretty) and the worker (zeromq); and, one rule for
 * all, by the Foxglove endpoint (ws, @foxglove/ws-protocol), the recordings' zstd, the
 * CLI's recorder and the log viewer. (The SDK's own, client/, is the user's process's.)
 * To import a CommonJS module into an ES module, Node first scans its source, and what
 * it re-exports, for the names it exports; measured on this machine (2026-11-29,
 * /proc RssAnon and process.cpuUsage, three runs each), a server started with these seven
 * packages imported held 5-7 MB more memory (114-117 against 109-110 MB RSS, 3 s after
 * start) and spent 160-250 ms more CPU importing its modules (659-819 against 473-638
 * ms); a fresh unpack thread importing adm-zip 160 ms and +14.0 MB against 78 ms and
 * +8.8 MB required. Types still come from the packages: `import type`, then
 * `requireCjs('pkg') as typeof import('pkg')`.
 */
import { createRequire } from 'node:module';

export const requireCjs = createRequire(import.meta.url);
