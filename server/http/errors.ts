/**
 * Every HTTP error the broker answers has one JSON shape, `{ error, code?, message }`:
 * `error` is the status text, `code` a stable name when there is one (E_UNAUTHORIZED,
 * fastify's FST_ERR_*, the HTTP parser's HPE_*), `message` is for people. This file
 * shapes the three ways an error reaches us: a route or plugin throws (fastify's error
 * handler), no route matches (not-found handler), or the request never became one
 * (a bad URL, or bytes Node's HTTP parser refused: `clientError`).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logger.js';

/** The body of every HTTP error answer. */
export interface HttpErrorBody {
  error: string;
  code?: string;
  message: string;
}

export function errorBody(status: number, message: string, code?: string): HttpErrorBody {
  return { error: STATUS_CODES[status] ?? 'Error', ...(code ? { code } : {}), message };
}

export function sendError(reply: FastifyReply, status: number, message: string, code?: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(errorBody(status, message, code));
}

/** A status fastify or a plugin put on an error, when it is a client error; 500 otherwise. */
function statusOf(err: FastifyError): number {
  const s = err.statusCode;
  return typeof s === 'number' && s >= 400 && s < 500 ? s : 500;
}

/** fastify's setErrorHandler: 4xx keep their code and message, anything else is a logged 500 with nothing inside shown. */
export function errorHandler(log: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const status = statusOf(err);
    if (status === 500) {
      log.error({ err, method: req.method, url: req.url.slice(0, 200) }, 'HTTP request failed');
      return sendError(reply, 500, 'internal error; the log has the details');
    }
    return sendError(reply, status, err.message, err.code);
  };
}

/** fastify's frameworkErrors: a URL its router cannot decode (`/%E0%A4%A`) and the like. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, statusOf(err), err.message, err.code);
}

const CLIENT_ERRORS: Record<string, [status: number, message: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'the request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request took too long to arrive'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'the request headers took too long to arrive'],
};

/**
 * The http server's `clientError`: bytes that never became a request (garbage, a bad
 * method, a bad Content-Length). Answer 4xx when the socket can still take it, then close.
 */
export function clientErrorHandler(log: Logger) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
    log.debug({ code: err.code, address: socket.remoteAddress }, `HTTP client error: ${message}`);
    // As Node's own handler: never write into a response already on its way (it would corrupt it).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify(errorBody(status, message, err.code));
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
