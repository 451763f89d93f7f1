/**
 * A project ZIP sent in pieces (`update_chunk`): the pieces checked in order and moved on.
 *
 * Sent whole, an upload is held twice by Socket.IO while it arrives (the websocket's
 * fragments, then the joined message). In pieces, each piece is moved on to the unpack
 * thread, which keeps them as they came and unpacks the upload while it arrives
 * (storage/unpack-ahead.ts): one copy plus the pieces in flight. An upload over
 * the limit is refused at its first piece, before any of it is sent.
 *
 * One upload is assembled at a time, broker-wide: only the controller may upload, and a
 * new first piece replaces an unfinished one, so a client that lost the lease mid-upload
 * cannot keep a second buffer alive. An unfinished upload is dropped when its client
 * disconnects, or after IDLE_MS without a piece. A piece out of place is refused with the
 * offset expected, and the upload is kept: the client may go on from there.
 */
import { BrokerError } from '../ipc/errors.js';
import type { UpdateChunkProgress } from '../ipc/protocol.js';
import type { IncomingUpload } from './storage/unpack-thread.js';

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
  upload: IncomingUpload;
  timer: NodeJS.Timeout;
}

export class UploadAssembly {
  private current: InProgress | null = null;

  constructor(
    private readonly maxBytes: number,
    /** Room for an upload of `total` bytes (the project store's, unpacked as it arrives). */
    private readonly receive: (total: number) => IncomingUpload,
    private readonly idleMs = UPLOAD_IDLE_MS,
  ) {}

  /**
   * Add `piece` from client `owner`: the whole upload once it is complete (the assembly is
   * then empty again), else how much has arrived. Throws E_TOO_LARGE or E_INVALID_PAYLOAD.
   */
  add(owner: string, piece: Piece): IncomingUpload | UpdateChunkProgress {
    if (piece.offset === 0) this.start(owner, piece.total);
    const u = this.current;
    if (u === null || u.owner !== owner) {
      throw new BrokerError('E_INVALID_PAYLOAD', 'offset: no upload of this client is in progress; send its first piece, at offset 0', { field: 'offset', expected: 0 });
    }
    const { received, total } = u.upload;
    if (piece.total !== total) {
      throw new BrokerError('E_INVALID_PAYLOAD', `total: this upload is ${total} bytes, as its first piece said`, { field: 'total', expected: total });
    }
    if (piece.offset !== received) {
      throw new BrokerError('E_INVALID_PAYLOAD', `offset: the next piece starts at ${received}`, { field: 'offset', expected: received });
    }
    if (piece.data.length === 0 || received + piece.data.length > total) {
      throw new BrokerError('E_INVALID_PAYLOAD', `data: a piece of 1 to ${total - received} bytes is expected here`, { field: 'data', expected: received });
    }
    u.upload.append(piece.data);
    if (u.upload.received < total) {
      u.timer.refresh();
      return { received: u.upload.received, total };
    }
    clearTimeout(u.timer);
    this.current = null;
    return u.upload;
  }

  /** Forget `owner`'s unfinished upload (it disconnected). */
  dropFor(owner: string): void {
    if (this.current?.owner === owner) this.drop();
  }

  /** Forget the unfinished upload, if any. */
  drop(): void {
    if (!this.current) return;
    clearTimeout(this.current.timer);
    this.current.upload.abandon();
    this.current = null;
  }

  private start(owner: string, total: number): void {
    this.drop();
    if (total > this.maxBytes) throw projectTooLarge(total, this.maxBytes);
    const timer = setTimeout(() => this.drop(), this.idleMs);
    timer.unref();
    this.current = { owner, upload: this.receive(total), timer };
  }
}
