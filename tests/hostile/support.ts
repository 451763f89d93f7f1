/**
 * Helpers for hostile-input tests: emit a raw Socket.IO packet (shapes and depths
 * socket.io-client would refuse to encode or would normalise) and read its ack.
 */
import type { Ack } from '../../dist/ipc/protocol.js';
import type { Client } from '../helpers/broker.js';

interface RawEngine {
  write(data: string): void;
  on(event: 'message', fn: (data: unknown) => void): void;
  off(event: 'message', fn: (data: unknown) => void): void;
}

/** Ack ids well above socket.io-client's own counter, so the two never meet. */
let nextAckId = 1_000_000;

/**
 * Send `42<id><body>` on the main namespace: `body` is the packet's JSON array as
 * text (`["process", {...}]`), written as given. Resolves with the arguments of the
 * server's ack, rejects after `timeoutMs`.
 */
export function rawEmit(c: Client, body: string, timeoutMs = 20_000): Promise<unknown[]> {
  const engine = c.io.engine as unknown as RawEngine;
  const id = nextAckId++;
  const prefix = `3${id}`;
  return new Promise((resolve, reject) => {
    const onMessage = (data: unknown): void => {
      if (typeof data !== 'string' || !data.startsWith(prefix) || !/^[[]/.test(data.slice(prefix.length))) return;
      cleanup();
      resolve(JSON.parse(data.slice(prefix.length)) as unknown[]);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ack for ${body.slice(0, 80)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      engine.off('message', onMessage);
    };
    engine.on('message', onMessage);
    engine.write(`2${id}${body}`);
  });
}

/** The ack of a raw packet, as the broker's Ack type. */
export async function rawCall(c: Client, body: string, timeoutMs?: number): Promise<Ack> {
  const [ack] = await rawEmit(c, body, timeoutMs);
  return ack as Ack;
}

/** JSON text of arrays (`[[0]]`) or objects (`{"a":{"a":0}}`) nested `depth` levels, built as text. */
export function nestedJson(depth: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array' ? `${'['.repeat(depth)}0${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
}

/** `data.code` of an ack (undefined on success). */
export function codeOf(ack: { data: unknown }): string | undefined {
  return (ack.data as { code?: string } | null)?.code;
}

/**
 * fast-check's time limit stops waiting for a run, not the run itself: wrap a
 * property's body so the test can wait for the run still going before it checks
 * the aftermath (or removes what the run is writing to).
 */
export function tracked<A extends unknown[]>(body: (...args: A) => Promise<void>): { run: (...args: A) => Promise<void>; idle: () => Promise<unknown> } {
  let last: Promise<unknown> = Promise.resolve();
  return {
    run: (...args) => {
      const running = body(...args);
      last = running.catch(() => {});
      return running;
    },
    idle: () => last,
  };
}
