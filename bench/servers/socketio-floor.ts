/**
 * Floor (a): a bare Socket.IO server that answers acks itself. No validation, no
 * logging, no second process: what Socket.IO alone costs on this machine.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { serveParent } from './child-ipc.js';
import { FLOOD_EVENT, MAX_HTTP_BUFFER, ok, type AckFn, type ProcessPayload } from './wire.js';

const http = createServer();
const io = new Server(http, { maxHttpBufferSize: MAX_HTTP_BUFFER, serveClient: false });

io.on('connection', (socket) => {
  socket.on('process', (payload: ProcessPayload, ack: AckFn) => {
    const { method, args = [] } = payload.params;
    if (method === 'sleep') setTimeout(() => ack(ok(null)), Number(args[0]));
    else if (method === 'flood') {
      const n = Number(args[0]);
      for (let i = 0; i < n; i++) socket.emit(FLOOD_EVENT, i);
      ack(ok(n));
    } else ack(ok(args[0] ?? null));
  });
  socket.on('update', (payload: { data: Buffer }, ack: AckFn) => ack(ok({ bytes: payload.data.byteLength })));
});

await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
serveParent({ port: (http.address() as AddressInfo).port }, async (type) => {
  if (type === 'stop') {
    await new Promise<void>((r) => io.close(() => r()));
    setImmediate(() => process.exit(0));
  }
  return null;
});
