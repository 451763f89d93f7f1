/**
 * The recordings on HTTP, token-checked like /stats:
 *
 *   GET /recordings                                   the list, and the recording in progress
 *   GET /recordings/info?name=F                       one file summarised (channels, counts, time range, drops)
 *   GET /recordings/messages?name=F[&cursor=C][&limit=N]  its messages in time order, a page at a time
 *
 * Registration only: the answers come from RecordingLibrary; a coded error becomes
 * 400/404 with `{ error, code, message, ...details }` (errorReply).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BrokerError, type ErrorCode } from '../../ipc/errors.js';
import type { RecordingLibrary } from './library.js';

const STATUS: Partial<Record<ErrorCode, number>> = { E_INVALID_PAYLOAD: 400, E_NO_RECORDING: 404 };

/** A coded error as an HTTP answer: status from the code, body `{ error, code, message, ...details }`. */
export function errorReply(err: unknown): { status: number; body: Record<string, unknown> } {
  const e = BrokerError.from(err);
  const status = STATUS[e.code] ?? 500;
  return { status, body: { error: status === 500 ? 'internal error' : e.code === 'E_NO_RECORDING' ? 'not found' : 'bad request', code: e.code, message: e.message, ...e.details } };
}

/** One query parameter as the library takes it: the first value, or null. */
function param(req: FastifyRequest, name: string): string | null {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : null;
}

export function recordingRoutes(
  app: FastifyInstance,
  library: RecordingLibrary,
  authorize: (req: FastifyRequest, reply: FastifyReply) => boolean,
): void {
  const route = (answer: (req: FastifyRequest) => Promise<unknown>) => async (req: FastifyRequest, reply: FastifyReply) => {
    if (!authorize(req, reply)) return reply;
    reply.header('cache-control', 'no-store');
    try {
      return reply.send(await answer(req));
    } catch (err) {
      const { status, body } = errorReply(err);
      return reply.code(status).send(body);
    }
  };
  app.get('/recordings', route(() => library.list()));
  app.get('/recordings/info', route((req) => library.info(param(req, 'name'))));
  app.get('/recordings/messages', route((req) => library.page(param(req, 'name'), param(req, 'cursor'), param(req, 'limit'))));
}
