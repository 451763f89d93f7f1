/**
 * fast-check arbitraries for raw HTTP requests: request lines (methods, targets with
 * broken escapes and absolute forms, engine.io's own queries, versions), headers
 * (the ones the broker, engine.io and ws read, and random ones, with bad values and
 * huge ones), bodies, pipelined pairs and plain noise.
 */
import fc from 'fast-check';

const char = (chars: string) => fc.constantFrom(...chars.split(''));
const byte = fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n));
const pchar = char("abcXYZ019-._~!$&'()*+,;=:@");
const escape = fc.integer({ min: 0, max: 255 }).map((n) => `%${n.toString(16).toUpperCase().padStart(2, '0')}`);
/** Escapes that are not valid UTF-8 or not escapes at all: what used to kill the server. */
const brokenEscape = fc.constantFrom('%', '%%', '%0', '%zz', '%E0%A4%A', '%C3%28', '%ED%A0%80', '%F0%9F', '%FF', '%u1234', '%2e%2e', '%2F', '%00');
const segment = fc.array(fc.oneof({ weight: 6, arbitrary: pchar }, { weight: 2, arbitrary: escape }, { weight: 2, arbitrary: brokenEscape }, { weight: 1, arbitrary: char('/?#[] "<>\\^`{|}') }, { weight: 1, arbitrary: byte }), { maxLength: 10 }).map((a) => a.join(''));
const path = fc.array(fc.oneof(segment, fc.constantFrom('..', '.', '', 'socket.io', 'vendor', 'health', 'index.html')), { maxLength: 5 }).map((a) => `/${a.join('/')}`);
const query = fc.option(fc.array(fc.oneof(pchar, escape, brokenEscape, char('=&?')), { maxLength: 16 }).map((a) => `?${a.join('')}`), { nil: '' });
/** engine.io's own requests, so that the fuzz reaches past its first checks: the handshake, polls, upgrades. */
const engineTarget = fc
  .record({
    prefix: fc.constantFrom('/socket.io/', '/socket.io', '/socket.io//', '/socket.io/x'),
    eio: fc.constantFrom('4', '3', '5', '', '%34', '4%'),
    transport: fc.constantFrom('polling', 'websocket', 'webtransport', 'polling%00', ''),
    sid: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom('AAAAAAAAAAAAAAAAAAAA', '__proto__', 'constructor', '%E0%A4%A'), fc.string({ maxLength: 24 })) },
    ),
    rest: fc.array(fc.oneof(pchar, escape, brokenEscape, char('=&?')), { maxLength: 16 }).map((a) => a.join('')),
  })
  .map((e) => `${e.prefix}?EIO=${e.eio}&transport=${e.transport}${e.sid === undefined ? '' : `&sid=${e.sid}`}&${e.rest}`);
const known = fc.constantFrom(
  '/',
  '/health',
  '/stats',
  '/metrics',
  '/index.html',
  '/main.js',
  '/favicon.svg',
  '/vendor/socket.io.esm.min.js',
  '/socket.io/',
  '/socket.io/?EIO=4&transport=polling',
  '/socket.io/?EIO=4&transport=websocket',
  '/socket.io/?EIO=3&transport=polling',
  '/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA',
  '/socket.io/?EIO=4&transport=webtransport',
);
const absolute = fc.tuple(fc.constantFrom('http://', 'https://', 'ws://', 'HTTP://', 'http:', '//', 'file://'), fc.constantFrom('x', '127.0.0.1', '127.0.0.1:1', '[::1]', 'a@b', '%41', ''), path).map((p) => p.join(''));
const target = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(known, query).map(([p, q]) => p + q) },
  { weight: 5, arbitrary: fc.tuple(path, query).map(([p, q]) => p + q) },
  { weight: 2, arbitrary: absolute },
  { weight: 1, arbitrary: fc.constantFrom('*', '', ' ', '//', '/%', '/%E0%A4%A', '?', '#', '/\t/') },
  { weight: 1, arbitrary: fc.string({ unit: byte, maxLength: 40 }) },
);
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH') },
  { weight: 2, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'PROPFIND', 'SEARCH', 'PURGE', 'QUERY', 'get', 'G ET', 'GET\u0000') },
  { weight: 1, arbitrary: fc.string({ unit: char('ABCDEFGHIJKLMNOPQRSTUVWXYZ-_'), minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: byte, maxLength: 10 }) },
);
const version = fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, { weight: 2, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1', 'HTTP/1.1 x', '') });

const headerName = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'Host',
      'Content-Length',
      'Transfer-Encoding',
      'Origin',
      'Authorization',
      'Content-Type',
      'Upgrade',
      'Connection',
      'Sec-WebSocket-Key',
      'Sec-WebSocket-Version',
      'Sec-WebSocket-Extensions',
      'Sec-WebSocket-Protocol',
      'Accept-Encoding',
      'Range',
      'If-None-Match',
      'If-Modified-Since',
      'Expect',
      'Cookie',
      'X-Forwarded-For',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: char('abcXYZ-_0'), minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: byte, maxLength: 12 }) },
);
const headerValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '0',
      '5',
      '-1',
      '99999999999999999999',
      'abc',
      '1, 2',
      'chunked',
      'gzip, chunked',
      'websocket',
      'Upgrade',
      'close',
      'keep-alive',
      'dGhlIHNhbXBsZSBub25jZQ==',
      '13',
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_max_window_bits=99',
      'http://evil.example',
      'null',
      'Bearer wrong',
      'Bearer http-test-token',
      'application/json',
      'text/plain; charset=utf-8',
      'bytes=0-1,5-',
      'bytes=99999999999-',
      '100-continue',
      '127.0.0.1',
      '',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: byte, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((k) => 'a'.repeat(k * 1024)) },
);
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 });
const body = fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.string({ unit: byte, maxLength: 200 }) }, { weight: 1, arbitrary: fc.constant('0\r\n\r\n') });

/** The request line, headers and body as bytes; now and then with bare LF line ends. */
function httpShaped(m: fc.Arbitrary<string>, t: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  const lf = fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  // Node answers an HTTP/1.1 request without a Host header with 400 before anyone else sees it: mostly send one.
  const host = fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
  return fc.record({ method: m, target: t, version, host, headers, body, lf, close: fc.boolean() }).map((r) => {
    const eol = r.lf ? '\n' : '\r\n';
    const lines = [
      `${r.method} ${r.target} ${r.version}`.trimEnd(),
      ...(r.host ? ['Host: 127.0.0.1'] : []),
      ...r.headers.map(([k, v]) => `${k}: ${v}`),
      ...(r.close ? ['Connection: close'] : []),
    ];
    return Buffer.from(`${lines.join(eol)}${eol}${eol}${r.body}`, 'latin1');
  });
}

/** The bytes of one request, printed readably when fast-check reports a counterexample. */
export interface RawBytes {
  bytes: Buffer;
}

function raw(bytes: Buffer): RawBytes {
  return {
    bytes,
    // As text, long runs of one character shortened: a 40 KiB header would bury the report.
    [fc.toStringMethod]: () => JSON.stringify(bytes.toString('latin1')).replace(/(.)\1{31,}/g, (run, c: string) => `${c}{×${run.length}}`),
  } as RawBytes;
}

/** One request as bytes: mostly HTTP-shaped (a fifth of them for engine.io), sometimes noise. */
const shapes = fc.oneof(
  { weight: 9, arbitrary: httpShaped(method, target) },
  { weight: 3, arbitrary: httpShaped(fc.constantFrom('GET', 'GET', 'GET', 'POST', 'POST', 'OPTIONS', 'PUT'), engineTarget) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  // Two requests in one write: the first well-formed, the second anything.
  { weight: 1, arbitrary: fc.tuple(known, fc.string({ unit: byte, maxLength: 80 })).map(([p, rest]) => Buffer.from(`GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n${rest}`, 'latin1')) },
);

export const requestBytes: fc.Arbitrary<RawBytes> = shapes.map(raw);
