/**
 * The one receive loop every ZeroMQ socket of ours runs: each message is handled on its
 * own, so nothing a peer sends, and no failure handling it, ends the loop (one `null`
 * frame once stopped every push for good). Only closing the socket ends it.
 */
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
}

/** Pause after a failed receive, so a broken socket cannot spin the event loop. */
const RETRY_MS = 10;

export async function receiveEach(socket: Receiving, h: ReceiveHandlers): Promise<void> {
  while (!socket.closed) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch (err) {
      if (socket.closed) return;
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
