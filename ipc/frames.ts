/**
 * What each end of ZeroMQ accepts from the other: the frames of `protocol.ts` as zod
 * schemas. A frame is decoded and checked here before anything acts on it; what does
 * not fit is a `Rejection` (logged, counted, dropped), never an exception in a receive
 * loop. The schemas cannot drift from the types: the tables are mapped over
 * `WorkerCalls` (a command without a schema fails the build) and `Agrees` checks
 * that each schema and its type have the same keys both ways.
 *
 * Kept apart from protocol.ts so the client SDK and the panel, which import that
 * file, never pull zod in.
 */
import { z } from 'zod';
import { isErrorCode, type ErrorCode } from './errors.js';
import { ENTRY_MODULES, MAX_EVENT_NAME, type ProjectType, type PushedEvent, type WorkerCalls, type WorkerCommand, type WorkerReply } from './protocol.js';

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

// ---------------------------------------------------------------- schemas

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const generation = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const projectType = z.enum([...new Set(ENTRY_MODULES.map(([, type]) => type))] as [ProjectType, ...ProjectType[]]);
const errorCode = z.custom<ErrorCode>(isErrorCode, 'not a known error code');
const wireError = z.looseObject({ code: errorCode });
const args = z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]);

/**
 * A request as it is on the wire. `Record<string, never>` (no parameters) in WorkerCalls
 * reads as "no other keys": the index signature is left out so the check compares keys.
 */
type RequestOf<K extends WorkerCommand> = { id: number; type: K } & (string extends keyof WorkerCalls[K]['params'] ? unknown : WorkerCalls[K]['params']);

const command = <K extends WorkerCommand>(type: K) => z.strictObject({ id, type: z.literal(type) });

/** Requests, as the worker accepts them. */
const projectInfo = z.strictObject({ dir: z.string().min(1).max(4096), type: projectType, entry: z.string().min(1).max(4096) });

export const requestSchemas = {
  load: command('load').extend({ project: projectInfo }),
  start: command('start'),
  process: command('process').extend({ object: z.string(), method: z.string(), args: args.optional() }),
  stop_hooks: command('stop_hooks'),
  ping: command('ping'),
  shutdown: command('shutdown'),
} satisfies { [K in WorkerCommand]: z.ZodType<RequestOf<K>> };

/** Any request: one parse, dispatched on `type`. */
export const workerRequestSchema = z.discriminatedUnion('type', Object.values(requestSchemas) as [typeof requestSchemas.load, ...Array<(typeof requestSchemas)[WorkerCommand]>]);

/**
 * Each command's result, as the server accepts it. Objects are loose: a field added on
 * one side (say, method docs in `start`) must not turn the other side's frames into
 * rejections before both are updated; the fields the server reads are checked.
 */
const methodParam = z.looseObject({ name: z.string(), type: z.string().optional(), optional: z.boolean().optional(), default: z.string().optional(), doc: z.string().optional() });
const methodInfo = z.looseObject({ params: z.array(methodParam), args: z.enum(['array', 'object']), doc: z.string().optional(), hook: z.literal(true).optional() });
const startResult = z.looseObject({
  type: projectType,
  entry: z.string(),
  objects: z.record(z.string(), z.array(z.string())),
  methods: z.record(z.string(), z.record(z.string(), methodInfo)),
});

export const resultSchemas: { [K in WorkerCommand]: z.ZodType<WorkerCalls[K]['result']> } = {
  load: startResult,
  start: startResult,
  process: z.unknown(),
  stop_hooks: z.looseObject({ stopped: z.array(z.string()) }),
  ping: z.looseObject({ heapUsed: z.number().min(0), rss: z.number().min(0) }),
  shutdown: z.null(),
};

const okReply = z.strictObject({ type: z.literal('reply'), id, ok: z.literal(true), result: z.unknown() });
const errorReply = z.strictObject({ type: z.literal('reply'), id, ok: z.literal(false), message: z.string().max(64 * 1024), error: wireError });
const ready = z.strictObject({ type: z.literal('ready'), generation, pid: z.number().int().min(0), secret: z.string().min(1).max(256) });

/** Worker -> server over DEALER/ROUTER. */
export const workerReplySchema = z.union([okReply, errorReply, ready]);

/** Worker -> server over PUB/SUB. Reserved names are the relay's to refuse (it says which). */
export const pushedEventSchema = z.strictObject({
  generation,
  reqId: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  event: z.string().min(1).max(MAX_EVENT_NAME),
  data: z.unknown(),
});

// ---------------------------------------------------------------- drift checks (compile time)

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
/** The schema's output and the type are assignable both ways and have the same keys. */
type Agrees<S extends z.ZodType, T> = [z.output<S>] extends [T] ? ([T] extends [z.output<S>] ? SameKeys<z.output<S>, T> : false) : false;
type AllTrue<T> = false extends T[keyof T] ? false : true;

const requestsAgree: AllTrue<{ [K in WorkerCommand]: Agrees<(typeof requestSchemas)[K], RequestOf<K>> }> = true;
const replyAgrees: Agrees<typeof okReply, Extract<WorkerReply, { ok: true }>> &
  Agrees<typeof errorReply, Extract<WorkerReply, { ok: false }>> &
  Agrees<typeof ready, Extract<WorkerReply, { type: 'ready' }>> = true;
const pushAgrees: Agrees<typeof pushedEventSchema, PushedEvent> = true;
void [requestsAgree, replyAgrees, pushAgrees];

// ---------------------------------------------------------------- decoding

export type Decoded<T> = { ok: true; value: T } | { ok: false; detail: string };

const MAX_DETAIL = 200;

/** Parse a JSON frame and check it against `schema`; the failure says what was wrong, briefly. */
export function decodeFrame<S extends z.ZodType>(schema: S, body: Buffer | undefined): Decoded<z.output<S>> {
  if (!body || body.length === 0) return { ok: false, detail: 'empty frame' };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, detail: `not JSON: ${bounded((err as Error).message)}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, detail: bounded(issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'does not match') };
}

/** Text from a peer, cut to a size fit for a log line. */
export function bounded(text: string, max = MAX_DETAIL): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
