/**
 * The slice of the broker's wire the floors speak, so one client measures floors
 * and broker alike: `process` with `{ params: { object, method, args } }` answered
 * `{ status, message, data }`, `update` with `{ data }`, pushed events as
 * `(event, data)`. The bench project's methods: echo(x), sleep(ms), flood(n).
 */
export interface ProcessPayload {
  params: { object: string; method: string; args?: unknown[] };
}
export type AckFn = (response: { status: 'success' | 'error'; message: string; data: unknown }) => void;

/** Same budget as the broker's default max_message_size, plus base64 room. */
export const MAX_HTTP_BUFFER = 150 * 1024 * 1024;

export const ok = (data: unknown) => ({ status: 'success' as const, message: 'ok', data });

/** The pushed event name the flood uses; its data is the sequence number. */
export const FLOOD_EVENT = 'tick';
