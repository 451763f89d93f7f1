/** HTTP and /monitor helpers for the observability tests (real sockets, no mocks). */
import { io as connectIo, type Socket } from 'socket.io-client';
import type { MonitorEvents } from '../../dist/ipc/protocol.js';

export type Monitor = Socket<MonitorEvents, Record<string, never>>;

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** GET `path`; `auth` is a bearer token or `{ query }` for ?token=. */
export async function get<T = Record<string, unknown>>(base: string, path: string, auth?: string | { query: string }): Promise<HttpResult<T>> {
  const url = new URL(path, base);
  const headers: Record<string, string> = {};
  if (typeof auth === 'string') headers.authorization = `Bearer ${auth}`;
  else if (auth) url.searchParams.set('token', auth.query);
  const res = await fetch(url, { headers });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Prometheus text, not JSON.
  }
  return { status: res.status, headers: res.headers, text, json: json as T };
}

export type Seen = Array<{ event: string; data: Record<string, unknown> }>;

/**
 * Connect to /monitor; resolves on connect, rejects with the connect_error message.
 * `seen` records everything it receives, from the very first packet (the greeting
 * arrives with the connection, before a listener attached afterwards would).
 */
export function connectMonitor(base: string, token: string | undefined): Promise<{ monitor: Monitor; seen: Seen }> {
  return new Promise((resolve, reject) => {
    const monitor: Monitor = connectIo(`${base}/monitor`, {
      auth: token === undefined ? {} : { token },
      reconnection: false,
      forceNew: true,
      transports: ['websocket'],
    });
    const seen: Seen = [];
    monitor.onAny((event: string, data: Record<string, unknown>) => seen.push({ event, data }));
    monitor.once('connect', () => resolve({ monitor, seen }));
    monitor.once('connect_error', (err) => {
      monitor.close();
      reject(err);
    });
  });
}

/** One sample's value from Prometheus text: `name{labels} value`. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
