/**
 * Frames without zod: the JSON decoding and the rejection vocabulary both ends share,
 * and the worker's check of the server's requests. The worker imports only this (loading
 * zod would be a third of its start-up CPU, and a worker starts on every update); the
 * server checks the worker's frames in full with the schemas of frames.ts.
 *
 * The requests come from the server's typed code (worker-protocol.ts), so the worker checks
 * their envelope: a JSON object with a positive integer `id` and a known `type`. What a
 * command then reads from it, it reads defensively; a request that still does not fit
 * fails that command with an error reply, never the worker.
 */
import type { WorkerCommand, WorkerRequest } from './worker-protocol.js';

/** Why a frame was dropped: a fixed set, so /stats can count by it. */
export type RejectReason =
  /** Not JSON, not the expected shape, or the wrong number of parts. */
  | 'bad_frame'
  /** A push with a name only the broker may emit (RESERVED_EVENTS). */
  | 'reserved_event'
  /** A reply from another peer than the worker the call was sent to. */
  | 'wrong_worker'
  /** A reply whose result does not fit the command's result type. */
  | 'bad_result'
  /** A `ready` that did not prove it came from a process the server spawned. */
  | 'ready_refused'
  /** Handling a well-formed frame threw: a broker bug, reported rather than fatal. */
  | 'handler_error';

export const REJECT_REASONS: readonly RejectReason[] = ['bad_frame', 'reserved_event', 'wrong_worker', 'bad_result', 'ready_refused', 'handler_error'];

/** A dropped frame, as the receiving side reports it. */
export interface Rejection {
  /** `command`: the DEALER/ROUTER channel; `events`: PUB/SUB. */
  channel: 'command' | 'events';
  reason: RejectReason;
  /** What was wrong, in words, bounded (never the frame itself). */
  detail: string;
  /** The sender's routing id, where the channel has one (bounded). */
  peer?: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; detail: string };

const MAX_DETAIL = 200;

/** Text from a peer, cut to a size fit for a log line. */
export function bounded(text: string, max = MAX_DETAIL): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A frame's JSON, or what was wrong with it. */
export function parseFrame(body: Buffer | undefined): Decoded<unknown> {
  if (!body || body.length === 0) return { ok: false, detail: 'empty frame' };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (err) {
    return { ok: false, detail: `not JSON: ${bounded((err as Error).message)}` };
  }
}

/** Every worker command, at run time (a command missing here fails the build). */
const COMMANDS: { readonly [K in WorkerCommand]: true } = { load: true, start: true, process: true, stop_hooks: true, ping: true, shutdown: true };

/** A request from the server, as the worker accepts it: its envelope checked. */
export function decodeRequest(body: Buffer | undefined): Decoded<WorkerRequest> {
  const json = parseFrame(body);
  if (!json.ok) return json;
  const request = json.value;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { ok: false, detail: '(root): not an object' };
  const { id, type } = request as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return { ok: false, detail: 'id: not a positive integer' };
  if (typeof type !== 'string' || !Object.hasOwn(COMMANDS, type)) return { ok: false, detail: 'type: not a worker command' };
  return { ok: true, value: request as WorkerRequest };
}
