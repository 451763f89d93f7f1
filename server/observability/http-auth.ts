/**
 * Token checks for the observability routes: `Authorization: Bearer <token>` or
 * `?token=<token>`, compared in constant time. A refusal is a 401 and a security
 * event; the token itself is never logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokenMatches } from '../client-gate.js';
import { sendJson } from '../http.js';

/** The token a request carries, if any. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return url.searchParams.get('token') ?? undefined;
}

export type AuthFailure = (surface: string, address: string, reason: 'missing token' | 'wrong token') => void;

/**
 * True when the request carries one of `accepted` (empty strings never match);
 * otherwise answers 401, reports the failure and returns false.
 */
export function authorize(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  surface: string,
  accepted: readonly string[],
  onFailure: AuthFailure,
): boolean {
  const given = requestToken(req, url);
  if (given !== undefined && accepted.some((t) => t.length > 0 && tokenMatches(given, t))) return true;
  onFailure(surface, req.socket.remoteAddress ?? 'unknown', given === undefined ? 'missing token' : 'wrong token');
  res.setHeader('www-authenticate', 'Bearer realm="robot-control"');
  sendJson(res, 401, { error: 'unauthorized', code: 'E_UNAUTHORIZED', message: 'send the token as "Authorization: Bearer <token>" or ?token=<token>' });
  return false;
}
