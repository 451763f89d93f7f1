/**
 * The client's side of `update_chunk`: a project ZIP sent in pieces, a few unanswered
 * at once. Shared by the SDK (client/), the panel (served as dist/panel/upload-pieces.js)
 * and the bench; it imports nothing, so it runs in a browser as it is.
 */
import type { UpdateChunkPayload } from './protocol.js';

/** The piece size the SDK and the panel send (the broker takes any). */
export const UPDATE_CHUNK_BYTES = 1024 * 1024;
/** Pieces kept unanswered at once: enough to keep the link busy, few enough to bound what is buffered. */
export const UPDATE_CHUNK_WINDOW = 4;
/**
 * The first piece is small and goes alone: a broker that refuses the upload (E_TOO_LARGE,
 * E_NOT_CONTROLLER) says so before more is sent, and the piece stays far below the transport's
 * frame limit (4/3 of websocket.max_message_size), so a refusal is an answer, never a hang-up.
 */
export const FIRST_PIECE_BYTES = 16 * 1024;

export interface PiecesOptions {
  pieceBytes?: number;
  window?: number;
  /** Told as each piece is answered. */
  onProgress?: (received: number, total: number) => void;
}

/**
 * Send `zip` by `send` (one `update_chunk` each; it rejects when the broker refuses a
 * piece). Resolves with the last piece's answer (the update's result); rejects with the
 * first refusal, and sends nothing after it.
 */
export async function sendInPieces<R>(zip: Uint8Array, send: (piece: UpdateChunkPayload) => Promise<R>, options: PiecesOptions = {}): Promise<R> {
  const total = zip.byteLength;
  if (total === 0) throw new RangeError('an empty ZIP cannot be sent in pieces');
  const pieceBytes = Math.max(1, options.pieceBytes ?? UPDATE_CHUNK_BYTES);
  const window = Math.max(1, options.window ?? UPDATE_CHUNK_WINDOW);
  const unanswered: Array<{ end: number; answer: Promise<R> }> = [];
  let offset = 0;
  let last!: R;
  const settleOldest = async (): Promise<void> => {
    const { end, answer } = unanswered.shift()!;
    try {
      last = await answer;
    } catch (err) {
      for (const later of unanswered) later.answer.catch(() => {}); // refused as well, or moot
      throw err;
    }
    options.onProgress?.(end, total);
  };
  while (offset < total) {
    const first = offset === 0;
    const end = Math.min(total, offset + (first ? Math.min(pieceBytes, FIRST_PIECE_BYTES) : pieceBytes));
    unanswered.push({ end, answer: send({ offset, total, data: zip.subarray(offset, end) }) });
    offset = end;
    if (first || unanswered.length >= window) await settleOldest();
  }
  while (unanswered.length > 0) await settleOldest();
  return last;
}
