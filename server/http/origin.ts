/**
 * Which browser pages may open a Socket.IO connection (`websocket.allowed_origins`).
 * Admitted: a request with no `Origin` (scripts, the SDK, the Python client: no
 * browser, nothing to protect), the panel's own origin (the `Origin` host:port is
 * the `Host` the request was sent to; either scheme, since behind a TLS proxy the
 * page is https and we are not), and each configured origin; `"*"` admits any.
 * Everything else, `Origin: null` included, is refused at the engine.io handshake,
 * before a byte of Socket.IO is read. This is defence in depth beside the token: a
 * page elsewhere cannot drive the robot through a visitor's browser.
 */
import type { IncomingMessage } from 'node:http';

export type OriginVerdict = { allowed: true } | { allowed: false; origin: string };

/** The `host[:port]` a URL with `protocol` would show for this `Host` header (default ports dropped); null when it is no host. */
function hostAs(protocol: string, host: string): string | null {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return null;
  }
}

export function originPolicy(allowedOrigins: readonly string[]): (req: IncomingMessage) => OriginVerdict {
  const any = allowedOrigins.includes('*');
  const listed = new Set(allowedOrigins.filter((o) => o !== '*').map((o) => new URL(o).origin));
  return (req) => {
    const origin = req.headers.origin;
    if (origin === undefined || any) return { allowed: true };
    let url: URL | null = null;
    try {
      url = new URL(origin);
    } catch {
      // "null" (a sandboxed frame, a file:// page) or garbage: no origin we could name.
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
      if (listed.has(url.origin)) return { allowed: true };
      const host = req.headers.host;
      if (host !== undefined && hostAs(url.protocol, host) === url.host) return { allowed: true };
    }
    return { allowed: false, origin: origin.slice(0, 200) };
  };
}
