/**
 * What the server accepts from the worker over ZeroMQ: the worker's frames of
 * `worker-protocol.ts` as zod schemas. The worker is the untrusted side (robot code runs in
 * it), so every reply and push is decoded and checked here before anything acts on it;
 * what does not fit is a `Rejection` (logged, counted, dropped), never an exception in
 * a receive loop. The schemas cannot drift from the types: the result table is mapped
 * over `WorkerCalls` (a command without a schema fails the build) and `Agrees` checks
 * that each schema and its type have the same keys both ways.
 *
 * Server-side only. The worker checks the envelope of the server's requests without
 * zod (frame-check.ts): loading zod is a third of a worker's start-up CPU, and a worker
 * starts on every update.
 */
import { z } from 'zod';
import { isErrorCode, type ErrorCode } from './errors.js';
import { bounded, parseFrame, type Decoded } from './frame-check.js';
import { ENTRY_MODULES, MAX_EVENT_NAME, type ProjectType } from './protocol.js';
import { type PushedEvent, type WorkerCalls, type WorkerCommand, type WorkerReply } from './worker-protocol.js';

// ---------------------------------------------------------------- schemas

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const generation = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const projectType = z.enum([...new Set(ENTRY_MODULES.map(([, type]) => type))] as [ProjectType, ...ProjectType[]]);
const errorCode = z.custom<ErrorCode>(isErrorCode, 'not a known error code');
const wireError = z.looseObject({ code: errorCode });

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
  qos: z.literal('latest').optional(),
});

// ---------------------------------------------------------------- drift checks (compile time)

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
/** The schema's output and the type are assignable both ways and have the same keys. */
type Agrees<S extends z.ZodType, T> = [z.output<S>] extends [T] ? ([T] extends [z.output<S>] ? SameKeys<z.output<S>, T> : false) : false;

const replyAgrees: Agrees<typeof okReply, Extract<WorkerReply, { ok: true }>> &
  Agrees<typeof errorReply, Extract<WorkerReply, { ok: false }>> &
  Agrees<typeof ready, Extract<WorkerReply, { type: 'ready' }>> = true;
const pushAgrees: Agrees<typeof pushedEventSchema, PushedEvent> = true;
void [replyAgrees, pushAgrees];

// ---------------------------------------------------------------- decoding

/** Parse a JSON frame and check it against `schema`; the failure says what was wrong, briefly. */
export function decodeFrame<S extends z.ZodType>(schema: S, body: Buffer | undefined): Decoded<z.output<S>> {
  const json = parseFrame(body);
  if (!json.ok) return json;
  const result = schema.safeParse(json.value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, detail: bounded(issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'does not match') };
}
