/**
 * socket.io-client's `io`, loaded through its CommonJS build. Under Node its ES-module
 * entry is the debug build (`exports["."].import.node`: build/esm-debug), which took
 * 213 ms of CPU to load against 67 ms for the CommonJS one (Node 20, median of three):
 * every SDK program and CLI command that connects pays it once, at start.
 */
import { createRequire } from 'node:module';
import type * as SocketIoClient from 'socket.io-client';

export const { io } = createRequire(import.meta.url)('socket.io-client') as typeof SocketIoClient;
