/**
 * Token checks for the observability routes: `Authorization: Bearer <token>` or
 * `?token=<token>`, compared in constant time. A refusal is a 401 and a security
 * event; the token itself is never logged.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatches } from '../client-gate.js';
import { sendError } from '../http/errors.js';

/**
 * The token a request carries, if any: `Authorization: Bearer <token>`, else the
 * `token` query parameter (the first when repeated, as URLSearchParams#get would have it).
 */
export function bearerOrQueryToken(authorization: string | undefined, queryToken: unknown): string | undefined {
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim();
  const token = Array.isArray(queryToken) ? queryToken[0] : queryToken;
  return typeof token === 'string' ? token : undefined;
}

/** The token a fastify request carries, if any. */
export function requestToken(req: FastifyRequest): string | undefined {
  return bearerOrQueryToken(req.headers.authorization, (req.query as Record<string, unknown> | undefined)?.token);
}

export type AuthFailure = (surface: string, address: string, reason: 'missing token' | 'wrong token') => void;

/**
 * True when the request carries one of `accepted` (empty strings never match);
 * otherwise answers 401, reports the failure and returns false.
 */
export function authorize(req: FastifyRequest, reply: FastifyReply, surface: string, accepted: readonly string[], onFailure: AuthFailure): boolean {
  const given = requestToken(req);
  if (given !== undefined && accepted.some((t) => t.length > 0 && tokenMatches(given, t))) return true;
  onFailure(surface, req.socket.remoteAddress ?? 'unknown', given === undefined ? 'missing token' : 'wrong token');
  reply.header('www-authenticate', 'Bearer realm="robot-control"');
  sendError(reply, 401, 'send the token as "Authorization: Bearer <token>" or ?token=<token>', 'E_UNAUTHORIZED');
  return false;
}
