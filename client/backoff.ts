/**
 * Reconnect delays: exponential, capped, with jitter so that many clients
 * dropped at once (a broker restart) do not all knock again in the same tick.
 */
export interface BackoffOptions {
  /** First retry delay, in ms. */
  initialDelayMs: number;
  /** Cap on the delay, in ms. */
  maxDelayMs: number;
  /** 0..1: the share of each delay that is random (0.5: between 50 % and 100 % of the nominal delay). */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 250, // 0.25 s
  maxDelayMs: 5_000, // 5 s
  jitter: 0.5,
});

/**
 * The delay before retry number `attempt` (0 for the first retry).
 * `random` is a number in [0, 1); it is a parameter so the function stays pure.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: number = Math.random()): number {
  const nominal = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  const jitter = Math.min(Math.max(options.jitter, 0), 1);
  return Math.round(nominal * (1 - jitter * random));
}
