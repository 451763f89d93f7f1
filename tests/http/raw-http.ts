/**
 * HTTP as bytes over a net.Socket, for requests no client library would send (or
 * would normalise first): broken escapes, absolute-form targets, bad methods,
 * garbage. And the real server process (`node dist/server/main.js`, what `npm
 * start` runs) for the tests that must see it survive.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { tempDir, waitFor } from '../helpers/broker.js';

export interface RawResponse {
  /** The status code, or null when the server closed without answering. */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** Everything received, as latin1. */
  raw: string;
}

export interface RawOptions {
  /** Give up (and close) after this long. */
  timeoutMs?: number;
  /**
   * Half-close after this long without an answer, so a half-sent request ends then
   * rather than at the server's header timeout. Never by default: a half-close makes
   * Node abort a request whose answer is still being made.
   */
  halfCloseAfterMs?: number;
  /** Close this long after the answer starts (a kept-alive connection would otherwise wait for `timeoutMs`). */
  closeAfterAnswerMs?: number;
}

/** Write `bytes`, read until the server closes (or `timeoutMs`). */
export function rawRequest(port: number, bytes: string | Buffer, options: RawOptions = {}): Promise<RawResponse> {
  const { timeoutMs = 5000, halfCloseAfterMs, closeAfterAnswerMs } = options;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let halfClose: NodeJS.Timeout | undefined;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
      if (halfCloseAfterMs !== undefined) halfClose = setTimeout(() => socket.end(), halfCloseAfterMs);
    });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (d: Buffer) => {
      if (chunks.length === 0 && closeAfterAnswerMs !== undefined) setTimeout(() => socket.destroy(), closeAfterAnswerMs);
      chunks.push(d);
      clearTimeout(halfClose);
    });
    socket.on('error', () => {}); // a reset after the answer is the server's right
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(halfClose);
      resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

/** The first response in `raw` (a pipelined second one is left in `body`). */
export function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(head);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = end < 0 ? '' : raw.slice(end + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  else if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: m ? Number(m[1]) : null, headers, body, raw };
}

/** A chunked body's content (as far as it arrived). */
function dechunk(text: string): string {
  let out = '';
  for (let at = 0; at < text.length; ) {
    const eol = text.indexOf('\r\n', at);
    const size = eol < 0 ? 0 : parseInt(text.slice(at, eol), 16);
    if (!size) break;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
  return out;
}

/** A well-formed request line and headers (`Host: 127.0.0.1` unless given), with `Connection: close`. */
export function request(method: string, target: string, headers: Record<string, string> = {}, body = ''): string {
  const host = Object.keys(headers).some((k) => k.toLowerCase() === 'host') ? [] : ['Host: 127.0.0.1'];
  const lines = [`${method} ${target} HTTP/1.1`, ...host, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Room for startServerProcess in a beforeAll. */
export const SERVER_START_MS = 60_000;

export interface ServerProcess {
  proc: ResultPromise;
  /** Its folder: config.yaml, logs/app.log, the storage. */
  dir: string;
  pid: number;
  port: number;
  url: string;
  token: string;
  /** The process is still the one started (it has not exited). */
  alive(): boolean;
  output(): string;
  stop(): Promise<void>;
}

/** The real server process on 127.0.0.1, port 0, in a temp folder; resolves once its banner is out (call it in a hook with SERVER_START_MS). */
export async function startServerProcess(extraYaml = ''): Promise<ServerProcess> {
  const dir = tempDir('rc-http-');
  const token = 'http-test-token';
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'websocket:',
      '  host: "127.0.0.1"',
      '  port: 0',
      'worker:',
      '  storage_dir: "./store"',
      'ipc:',
      '  command_socket: "ipc://./cmd.ipc"',
      '  callback_socket: "ipc://./cb.ipc"',
      'auth:',
      `  token: "${token}"`,
      'log:',
      '  file: "./logs/app.log"',
      '  console: false',
      extraYaml,
    ].join('\n'),
  );
  const proc = execa('node', [new URL('../../dist/server/main.js', import.meta.url).pathname, '--config', join(dir, 'config.yaml')], {
    cwd: dir,
    reject: false,
    env: { LOG_LEVEL: 'info' },
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  // A loaded 2-core machine can take long to start two processes: wait for the banner, bounded.
  await waitFor(() => /Control panel:\s+\S+token=/.test(out) || proc.exitCode !== null, 45_000, 'the server banner');
  const m = /Control panel:\s+(http:\/\/127\.0\.0\.1:(\d+))\//.exec(out);
  if (!m || proc.pid === undefined) throw new Error(`the server did not start:\n${out}`);
  return {
    proc,
    dir,
    pid: proc.pid,
    port: Number(m[2]),
    url: m[1]!,
    token,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await proc;
    },
  };
}
