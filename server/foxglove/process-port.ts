/**
 * A Foxglove service call is a `process` command: it must take the very path a
 * controller's does (validation, limits, the request id, the `command`/`ack` events that
 * log, count and record it). That path is `Commands`, which wires itself onto a socket
 * with `attach(socket)`. A port is the smallest such socket: it keeps the handlers
 * `attach` registers and lets its owner call the `process` one with a payload.
 *
 * The report proposes the real seam (Commands.dispatch(command, payload, origin)); this
 * file then becomes one line.
 */
import type { Ack } from '../../ipc/protocol.js';
import type { ClientSocket, Commands } from '../commands.js';

/** Run `process` with this payload through the command path; resolves with its ack. */
export type ProcessCall = (payload: unknown) => Promise<Ack>;

export function processPort(commands: Commands, id: string): ProcessCall {
  const handlers = new Map<string, (payload: unknown, ack: (response: Ack) => void) => void>();
  const port = {
    id,
    on(event: string, handler: (payload: unknown, ack: (response: Ack) => void) => void) {
      handlers.set(event, handler);
      return port;
    },
    // Only `process` is ever dispatched here: no unknown event can arrive.
    onAny: () => port,
    // Commands emits `broker_error` only when a command came without an ack: never here.
    emit: () => true,
  };
  commands.attach(port as unknown as ClientSocket);
  const handler = handlers.get('process');
  if (!handler) throw new Error('Commands.attach registered no "process" handler');
  return (payload) => new Promise<Ack>((resolve) => handler(payload, resolve));
}
