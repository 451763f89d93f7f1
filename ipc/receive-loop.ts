/**
 * The one receive loop every ZeroMQ socket of ours runs: each message is handled on its
 * own, so nothing a peer sends, and no failure handling it, ends the loop (one `null`
 * frame once stopped every push for good). Only closing the socket ends it.
 *
 * A socket that also sends receives with `receiveTimeout: WAKE_UP_MS`. zeromq.js waits
 * for a message on ZeroMQ's edge-triggered file descriptor, and anything that asks the
 * socket for its events in between (zeromq.js itself does, when a send that waited for
 * room goes out) can take the one wake-up a message brings: the message then sits in the
 * socket, unread, until some other event comes. Seen once as a worker's `ready` unheard
 * for 10 s after a crash (nothing else was talking). The timeout bounds that to
 * WAKE_UP_MS: an idle receive ends with EAGAIN and the loop asks again, which finds the
 * message.
 */
import { zmqErrorCode } from './send-queue.js';

interface Receiving {
  receive(): Promise<Buffer[]>;
  readonly closed: boolean;
}

export interface ReceiveHandlers {
  /** One message, all its parts. */
  onMessage: (frames: Buffer[]) => void;
  /** Handling a message threw. */
  onHandlerError: (err: unknown, frames: Buffer[]) => void;
  /** Receiving failed while the socket was open. */
  onSocketError: (err: unknown) => void;
  /** Asked before each receive: a promise to wait for before reading on (flow control), or nothing. */
  hold?: () => Promise<void> | undefined;
}

/** Pause after a failed receive, so a broken socket cannot spin the event loop. */
const RETRY_MS = 10;

/** The longest a message can wait unread in a socket whose wake-up was taken (see above). */
export const WAKE_UP_MS = 1000;

export async function receiveEach(socket: Receiving, h: ReceiveHandlers): Promise<void> {
  while (!socket.closed) {
    const held = h.hold?.();
    if (held) {
      await held;
      continue; // closed meanwhile, or asked again
    }
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch (err) {
      if (socket.closed) return;
      if (zmqErrorCode(err) === 'EAGAIN') continue; // receiveTimeout: nothing came, look again
      h.onSocketError(err);
      await new Promise((r) => setTimeout(r, RETRY_MS));
      continue;
    }
    try {
      h.onMessage(frames);
    } catch (err) {
      h.onHandlerError(err, frames);
    }
  }
}

/** An error's message, for a report. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
