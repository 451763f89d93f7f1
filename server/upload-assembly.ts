/**
 * A project ZIP sent in pieces (`update_chunk`), put together in one buffer.
 *
 * Sent whole, an upload is held twice by Socket.IO while it arrives (the websocket's
 * fragments, then the joined message). In pieces, the server holds one buffer of the
 * declared size, allocated at the first piece, and the piece in flight: one copy plus
 * a bounded buffer. That buffer owns its memory, so the unpack thread is handed it
 * without a copy (storage/unpack-thread.ts). An upload over the limit is refused at its
 * first piece, before any of it is sent.
 *
 * One upload is assembled at a time, broker-wide: only the controller may upload, and a
 * new first piece replaces an unfinished one, so a client that lost the lease mid-upload
 * cannot keep a second buffer alive. An unfinished upload is dropped when its client
 * disconnects, or after IDLE_MS without a piece. A piece out of place is refused with the
 * offset expected, and the upload is kept: the client may go on from there.
 */
import { BrokerError } from '../ipc/errors.js';
import type { UpdateChunkProgress } from '../ipc/protocol.js';

/** An unfinished upload with no piece for this long is dropped. */
export const UPLOAD_IDLE_MS = 60_000;

/** E_TOO_LARGE for a project of `bytes`, whole or declared by its first piece. */
export function projectTooLarge(bytes: number, limit: number): BrokerError {
  return new BrokerError('E_TOO_LARGE', `the project is ${bytes} bytes; the limit is ${limit}`, { bytes, limit });
}

export interface Piece {
  offset: number;
  total: number;
  data: Buffer;
}

interface InProgress {
  owner: string;
  buffer: Buffer;
  received: number;
  timer: NodeJS.Timeout;
}

export class UploadAssembly {
  private current: InProgress | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly idleMs = UPLOAD_IDLE_MS,
  ) {}

  /**
   * Add `piece` from client `owner`: the whole ZIP once it is complete (the assembly is
   * then empty again), else how much has arrived. Throws E_TOO_LARGE or E_INVALID_PAYLOAD.
   */
  add(owner: string, piece: Piece): Buffer | UpdateChunkProgress {
    if (piece.offset === 0) this.start(owner, piece.total);
    const u = this.current;
    if (u === null || u.owner !== owner) {
      throw new BrokerError('E_INVALID_PAYLOAD', 'offset: no upload of this client is in progress; send its first piece, at offset 0', { field: 'offset', expected: 0 });
    }
    if (piece.total !== u.buffer.length) {
      throw new BrokerError('E_INVALID_PAYLOAD', `total: this upload is ${u.buffer.length} bytes, as its first piece said`, { field: 'total', expected: u.buffer.length });
    }
    if (piece.offset !== u.received) {
      throw new BrokerError('E_INVALID_PAYLOAD', `offset: the next piece starts at ${u.received}`, { field: 'offset', expected: u.received });
    }
    if (piece.data.length === 0 || u.received + piece.data.length > u.buffer.length) {
      throw new BrokerError('E_INVALID_PAYLOAD', `data: a piece of 1 to ${u.buffer.length - u.received} bytes is expected here`, { field: 'data', expected: u.received });
    }
    piece.data.copy(u.buffer, u.received);
    u.received += piece.data.length;
    if (u.received < u.buffer.length) {
      u.timer.refresh();
      return { received: u.received, total: u.buffer.length };
    }
    this.drop();
    return u.buffer;
  }

  /** Forget `owner`'s unfinished upload (it disconnected). */
  dropFor(owner: string): void {
    if (this.current?.owner === owner) this.drop();
  }

  /** Forget the unfinished upload, if any. */
  drop(): void {
    if (this.current) clearTimeout(this.current.timer);
    this.current = null;
  }

  private start(owner: string, total: number): void {
    this.drop();
    if (total > this.maxBytes) throw projectTooLarge(total, this.maxBytes);
    const timer = setTimeout(() => this.drop(), this.idleMs);
    timer.unref();
    // Its own ArrayBuffer (never the pool's): the unpack thread is handed it, not a copy. Every byte is written before use.
    this.current = { owner, buffer: Buffer.allocUnsafeSlow(total), received: 0, timer };
  }
}
