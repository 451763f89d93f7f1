/**
 * The recordings on HTTP, token-checked like /stats:
 *
 *   GET /recordings                                   the list, and the recording in progress
 *   GET /recordings/info?name=F                       one file summarised (channels, counts, time range, drops)
 *   GET /recordings/messages?name=F[&cursor=C][&limit=N]  its messages in time order, a page at a time
 *
 * Registration only: the answers come from RecordingLibrary. On another router each
 * route is `authorize`, then `library.<method>(query)`, then `sendJson` (errorReply on a throw).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BrokerError, type ErrorCode } from '../../ipc/errors.js';
import { sendJson, type Route } from '../http.js';
import type { RecordingLibrary } from './library.js';

const STATUS: Partial<Record<ErrorCode, number>> = { E_INVALID_PAYLOAD: 400, E_NO_RECORDING: 404 };

/** A coded error as an HTTP answer: status from the code, body `{ error, code, message, ...details }`. */
export function errorReply(err: unknown): { status: number; body: Record<string, unknown> } {
  const e = BrokerError.from(err);
  const status = STATUS[e.code] ?? 500;
  return { status, body: { error: status === 500 ? 'internal error' : e.code === 'E_NO_RECORDING' ? 'not found' : 'bad request', code: e.code, message: e.message, ...e.details } };
}

export function recordingRoutes(
  library: RecordingLibrary,
  authorize: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean,
): Record<string, Route> {
  const route =
    (answer: (q: URLSearchParams) => Promise<unknown>): Route =>
    async (req, res, url) => {
      if (!authorize(req, res, url)) return;
      try {
        sendJson(res, 200, await answer(url.searchParams));
      } catch (err) {
        const { status, body } = errorReply(err);
        sendJson(res, status, body);
      }
    };
  return {
    '/recordings': route(() => library.list()),
    '/recordings/info': route((q) => library.info(q.get('name'))),
    '/recordings/messages': route((q) => library.page(q.get('name'), q.get('cursor'), q.get('limit'))),
  };
}
