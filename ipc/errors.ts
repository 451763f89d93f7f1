/**
 * The one set of error codes. Every error that reaches a client (in an ack's
 * `data.code`) or crosses ZeroMQ is one of these; callers branch on `code`,
 * never on message text. docs/ERRORS.md documents each (a test checks it).
 */
export const ERROR_CODES = {
  E_UNAUTHORIZED: 'The token is missing or wrong (connect_error "unauthorized", `err.data.code`).',
  E_TOO_MANY_PENDING: 'A Socket.IO handshake refused (HTTP 403, the code at the start of the message): the address holds `websocket.max_pending_per_address` connections that have not shown a token yet.',
  E_BUSY: 'Another client holds the control lease (connect_error "busy" for a controller, `take_control` without `force`), or every observer slot (`websocket.max_observers`) is taken (connect_error "busy").',
  E_INVALID_PAYLOAD: 'The payload does not match the event schema, or nests deeper or weighs more than allowed; `data.field` names the bad field (and `data.limit` the limit).',
  E_UNKNOWN_EVENT: 'The client emitted an event the broker does not know.',
  E_NO_ACK: 'A command was emitted without an acknowledgement callback (reported as a `broker_error` event).',
  E_TOO_LARGE: 'The message or the uploaded project is larger than `websocket.max_message_size`.',
  E_INVALID_ZIP: 'The upload is not a readable ZIP archive.',
  E_UNSAFE_ZIP: 'A ZIP entry is unsafe: absolute path, `..`, backslash, drive letter, symlink or device; or its headers lie (a size that is not its data\'s, a local header that disagrees with the central directory).',
  E_ZIP_LIMIT: 'The ZIP unpacks to more bytes or entries than `worker.max_unpacked_bytes` / `worker.max_zip_entries`, or needs more memory to unpack than the unpack thread has.',
  E_NO_ENTRY: 'The project has no entry module (main.js, main.mjs, main.cjs, main.ts or main.py).',
  E_PROJECT_LOAD: 'The project failed to load (syntax error, throws at import); `data.file`/`data.line` point at it. The previous project was kept.',
  E_UNKNOWN_OBJECT: 'No exported object of the project has that name.',
  E_UNKNOWN_METHOD: 'The object has no own callable method of that name (inherited and internal names are never callable).',
  E_METHOD_FAILED: 'The robot method threw or its Promise rejected; `data.location` is the project-relative file:line, `data.error` the message and the project\'s own frames.',
  E_TIMEOUT: 'The call ran past `worker.max_execution_time`.',
  E_WORKER_CRASHED: 'The worker died while the call was in flight; it is being restarted.',
  E_WORKER_RESTARTED: 'The worker was replaced on purpose (an update promoted a new one) while the call was in flight on it.',
  E_WORKER_FAILED: 'The worker crashed too often and is in the `failed` state; an `update` or `start` clears it.',
  E_WORKER_UNAVAILABLE: 'The worker is starting or restarting and did not become ready in time.',
  E_OVERLOADED: 'More calls are in flight than `worker.max_in_flight`; answered at once, nothing was sent to the robot.',
  E_DISK_FULL: 'The disk under the storage folder is full (ENOSPC/EDQUOT): the upload was not installed; the previous project is kept.',
  E_NOT_CONTROLLER: 'Only the controlling client may do that; this connection observes (`update`/`start`/`process` from an observer, `release_control` from a non-holder, a Foxglove client calling a service while `foxglove.allow_calls` is off). Nothing was sent to the robot.',
  E_RECORDING_FAILED: 'The recording could not be started or written (`recording.dir` not writable, disk full, ...); `data.reason` says why. The broker keeps serving.',
  E_NO_RECORDING: 'No finished recording of that name in `recording.dir` (unknown name, still being written, or not a readable MCAP file).',
  E_RESERVED_EVENT: 'Robot code tried to push a reserved event name (connect, disconnect, callback, ...).',
  E_SHUTTING_DOWN: 'The broker is stopping.',
  E_INTERNAL: 'An unexpected broker error; the log has the details.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes the client SDK and the command line raise on their own side of the wire,
 * for what the broker never got to answer. Never sent by the broker.
 */
export const CLIENT_ERROR_CODES = {
  E_CALL_TIMEOUT: 'No acknowledgement within the call\'s `timeoutMs` (client side). A call that was sent may still run on the robot.',
  E_DISCONNECTED: 'The connection dropped after the call was sent: whether the robot ran it is unknown, so it is not replayed.',
  E_NOT_CONNECTED: 'The client is not connected and `queueWhileDisconnected` is false.',
  E_UNREACHABLE: 'A connection attempt failed below Socket.IO: connection refused, DNS, TLS, a proxy. Retried with backoff.',
  E_CONNECT_TIMEOUT: 'connect() did not succeed within its `timeoutMs` (the broker was unreachable or kept answering "busy").',
  E_CLOSED: 'The client was closed (by close(), or after a final connect error) before the call was answered.',
  E_NOT_FOUND: 'The file or folder to pack or upload does not exist (or is not a folder).',
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** The wire form of an error: what an ack's `data` holds and what crosses ZeroMQ. */
export interface WireError {
  code: ErrorCode;
  [detail: string]: unknown;
}

/** One error class for the whole broker: a stable code, a message for people, details for programs. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toWire(): { message: string; data: WireError } {
    return { message: this.message, data: { ...this.details, code: this.code } };
  }

  static fromWire(message: string, data: WireError): BrokerError {
    const { code, ...details } = data;
    return new BrokerError(isErrorCode(code) ? code : 'E_INTERNAL', message, details);
  }

  /** Any thrown value as a BrokerError: broker errors keep their code, the rest become `fallback`. */
  static from(err: unknown, fallback: ErrorCode = 'E_INTERNAL'): BrokerError {
    if (err instanceof BrokerError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new BrokerError(fallback, message, {}, { cause: err });
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
