/** The panel's address as people should type it: a wildcard listen address becomes loopback. */

/** `http://HOST:PORT/` for a broker listening on `host`. */
export function brokerUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}

/** The URL that opens the panel with its token (the panel moves it out of the address bar at once). */
export function panelUrl(url: string, token: string): string {
  return `${url}?token=${encodeURIComponent(token)}`;
}
