/**
 * Every client payload is validated here, at the edge, before it reaches the
 * worker. A bad one is answered E_INVALID_PAYLOAD naming the bad field (and the
 * limit, when it broke one).
 */
import { z } from 'zod';
import { BrokerError } from '../ipc/errors.js';
import type { ProcessParams } from '../ipc/protocol.js';
import { checkShape } from './payload-shape.js';
import type { Piece } from './upload-assembly.js';

/** Longest object or method name accepted, in characters. */
const MAX_NAME = 200;
const name = z.string().min(1).max(MAX_NAME);
const zipData = z.union([z.string().min(1), z.instanceof(Uint8Array), z.instanceof(ArrayBuffer)]);

const schemas = {
  update: z
    .object({ data: zipData.optional(), zip_data: zipData.optional() })
    .refine((p) => p.data !== undefined || p.zip_data !== undefined, { message: 'data (or zip_data) is required', path: ['data'] }),
  update_chunk: z.object({
    offset: z.number().int().min(0),
    total: z.number().int().min(1),
    data: zipData,
  }),
  start: z.union([z.object({}), z.null(), z.undefined()]),
  process: z.object({
    params: z.object({
      object: name,
      method: name,
      args: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown()), z.null()]).optional(),
    }),
  }),
};

export type CommandName = keyof typeof schemas;
export const COMMANDS = Object.keys(schemas) as CommandName[];

export interface PayloadLimits {
  /** websocket.max_payload_depth */
  maxDepth: number;
  /** websocket.max_message_size: bytes a call's payload may take as JSON (an upload has its own check, E_TOO_LARGE). */
  maxBytes: number;
}

/**
 * Depth and size, before anything else looks at the payload (the monitor, zod,
 * the log): a hostile shape is refused by a loop, never met by a recursion.
 */
export function checkPayload(command: CommandName, payload: unknown, limits: PayloadLimits): void {
  const v = checkShape(payload, { maxDepth: limits.maxDepth, ...(command === 'process' ? { maxBytes: limits.maxBytes } : {}) });
  if (v === null) return;
  const message =
    v.kind === 'depth'
      ? `${v.field}: nested deeper than ${v.limit} levels (websocket.max_payload_depth)`
      : `${v.field}: larger than ${v.limit} bytes as JSON (websocket.max_message_size)`;
  throw new BrokerError('E_INVALID_PAYLOAD', message, { field: v.field, limit: v.limit });
}

function invalid(error: z.ZodError): BrokerError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(payload)';
  return new BrokerError('E_INVALID_PAYLOAD', `${field}: ${issue.message}`, { field });
}

/** The ZIP bytes of an update payload. */
export function parseUpdate(payload: unknown): Buffer {
  const r = schemas.update.safeParse(payload ?? {});
  if (!r.success) throw invalid(r.error);
  return bytesOf((r.data.data ?? r.data.zip_data)!);
}

/** A piece of a ZIP sent by `update_chunk`. */
export function parseUpdateChunk(payload: unknown): Piece {
  const r = schemas.update_chunk.safeParse(payload ?? {});
  if (!r.success) throw invalid(r.error);
  return { offset: r.data.offset, total: r.data.total, data: bytesOf(r.data.data) };
}

/** Binary as it is (a view, no copy), or base64 text decoded. */
function bytesOf(data: z.infer<typeof zipData>): Buffer {
  if (typeof data === 'string') {
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(data.length > 4096 ? data.slice(0, 4096) : data)) {
      throw new BrokerError('E_INVALID_PAYLOAD', 'data: expected base64 text or binary', { field: 'data' });
    }
    return Buffer.from(data, 'base64');
  }
  return data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function parseStart(payload: unknown): void {
  const r = schemas.start.safeParse(payload);
  if (!r.success) throw invalid(r.error);
}

export function parseProcess(payload: unknown): ProcessParams {
  const r = schemas.process.safeParse(payload ?? {});
  if (!r.success) throw invalid(r.error);
  const { object, method, args } = r.data.params;
  return args === null || args === undefined ? { object, method } : { object, method, args };
}
