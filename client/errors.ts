/**
 * Errors the SDK raises on its own side of the wire. Broker answers become
 * `BrokerError` (ipc/errors.ts) with the broker's code; these codes cover what
 * the broker never got to answer. Both carry `code`: branch on it.
 */
import { BrokerError, isErrorCode, type ClientErrorCode, type ErrorCode } from '../ipc/errors.js';

export { CLIENT_ERROR_CODES, type ClientErrorCode } from '../ipc/errors.js';


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

/** Packing failed, nothing was sent: the folder is not a project, E_NO_ENTRY (the broker's code for the same fault) or E_NOT_FOUND (client/pack.ts). */
export class PackError extends Error {
  override readonly name = 'PackError';
  constructor(
    readonly code: 'E_NO_ENTRY' | 'E_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

/** What a call rejects with: the broker's answer, or a client-side failure. */
export type RobotError = BrokerError | RobotClientError;
export type RobotErrorCode = ErrorCode | ClientErrorCode;

export function isRobotError(err: unknown): err is RobotError {
  return err instanceof BrokerError || err instanceof RobotClientError;
}

/**
 * A connect_error as a coded error. The broker's refusals carry `err.data = { code, ...details }`
 * (E_UNAUTHORIZED, E_BUSY with the holder, E_INVALID_PAYLOAD for an unknown role); brokers
 * older than the control lease said only "unauthorized" or "busy".
 */
export function connectError(err: Error, url: string): RobotError {
  const data = (err as Error & { data?: unknown }).data;
  if (data && typeof data === 'object' && isErrorCode((data as { code?: unknown }).code)) {
    const { code, ...details } = data as { code: ErrorCode } & Record<string, unknown>;
    return new BrokerError(code, refusal(code, err.message, details), details);
  }
  if (err.message === 'unauthorized') return new BrokerError('E_UNAUTHORIZED', refusal('E_UNAUTHORIZED', err.message, {}));
  if (err.message === 'busy') return new BrokerError('E_BUSY', refusal('E_BUSY', err.message, {}));
  return new RobotClientError('E_UNREACHABLE', `cannot reach ${url}: ${describeTransportError(err)}`, {}, { cause: err });
}

/** A refusal in words: who holds the lease, how many observers. */
function refusal(code: ErrorCode, message: string, details: Record<string, unknown>): string {
  if (code === 'E_UNAUTHORIZED') return 'unauthorized: the token is missing or wrong';
  if (code !== 'E_BUSY') return message;
  if (typeof details.limit === 'number') return `busy: every observer slot is taken (${details.limit})`;
  return typeof details.controller === 'string' ? `busy: "${details.controller}" holds the robot` : 'busy: another client holds the robot';
}

/** Socket.IO's transport errors, in words: nobody reading them knows what "xhr poll error" means. */
const PLAIN: Record<string, string> = {
  'websocket error': 'nothing answers there (is the broker running, on that address and port?)',
  'xhr poll error': 'nothing answers there (is the broker running, on that address and port?)',
  timeout: 'no answer in time (the broker may be overloaded, or the network slow)',
};

function describeTransportError(err: Error): string {
  // socket.io-client wraps the real cause (ECONNREFUSED, ...) in `description`.
  const description = (err as Error & { description?: unknown }).description;
  const inner = description instanceof Error ? description.message : (description as { message?: unknown } | undefined)?.message;
  const what = PLAIN[err.message] ?? err.message;
  const detail = [err.message !== what ? err.message : '', typeof inner === 'string' ? inner : ''].filter(Boolean).join(': ');
  return detail ? `${what} [${detail}]` : what;
}

export { BrokerError };
