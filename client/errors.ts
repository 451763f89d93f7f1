/**
 * Errors the SDK raises on its own side of the wire. Broker answers become
 * `BrokerError` (ipc/errors.ts) with the broker's code; these codes cover what
 * the broker never got to answer. Both carry `code`: branch on it.
 */
import { BrokerError, type ErrorCode } from '../ipc/errors.js';

export const CLIENT_ERROR_CODES = {
  E_CALL_TIMEOUT: 'No acknowledgement within the call\'s `timeoutMs` (client side). A call that was sent may still run on the robot.',
  E_DISCONNECTED: 'The connection dropped after the call was sent: whether the robot ran it is unknown, so it is not replayed.',
  E_NOT_CONNECTED: 'The client is not connected and `queueWhileDisconnected` is false.',
  E_UNREACHABLE: 'A connection attempt failed below Socket.IO: connection refused, DNS, TLS, a proxy. Retried with backoff.',
  E_CONNECT_TIMEOUT: 'connect() did not succeed within its `timeoutMs` (the broker was unreachable or kept answering "busy").',
  E_CLOSED: 'The client was closed (by close(), or after a final connect error) before the call was answered.',
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** A failure on the client's side: no broker answer exists for it. */
export class RobotClientError extends Error {
  override readonly name = 'RobotClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a call rejects with: the broker's answer, or a client-side failure. */
export type RobotError = BrokerError | RobotClientError;
export type RobotErrorCode = ErrorCode | ClientErrorCode;

export function isRobotError(err: unknown): err is RobotError {
  return err instanceof BrokerError || err instanceof RobotClientError;
}

export { BrokerError };
