/**
 * Requests (server -> worker) and replies (worker -> server) queued in one turn of the
 * event loop go out as one multipart ZeroMQ message, one part per request or reply.
 *
 * Each message sent wakes ZeroMQ's I/O thread, and on the receiving end the process: in
 * a pipelined run's profile, the server's ZeroMQ sends and receives were 29% of its busy
 * time, one of each per call. Socket.IO hands the server every command that arrived in
 * one read in the same turn, and a worker answers a batch of synchronous calls in the
 * same turn, so under load a message carries many parts; a lone call goes alone, a
 * microtask later. The receiving ends take each part as a message of its own.
 */
import type { SendQueue } from './send-queue.js';

/** Parts per message at most (a burst of more goes as several messages). */
export const MAX_PARTS = 256;

type Done = (err?: unknown) => void;

interface Open {
  parts: Array<string | Buffer>;
  done: Done[];
}

export class PartBatch {
  /** Per peer (a routing id; '' where the socket has one peer), the message being filled. */
  private readonly open = new Map<string, Open>();
  private scheduled = false;

  constructor(
    private readonly queue: SendQueue,
    /** The frames before the parts: the peer's routing id on a ROUTER, none on a DEALER. */
    private readonly head: (peer: string) => Buffer[],
  ) {}

  /** Queue `part` for `peer`; `done`, if given, is told how the send of its message went. */
  add(peer: string, part: string | Buffer, done?: Done): void {
    let m = this.open.get(peer);
    if (!m) {
      m = { parts: [], done: [] };
      this.open.set(peer, m);
    }
    m.parts.push(part);
    if (done) m.done.push(done);
    if (m.parts.length >= MAX_PARTS) this.send(peer, m);
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    for (const [peer, m] of this.open) this.send(peer, m);
  }

  private send(peer: string, m: Open): void {
    this.open.delete(peer);
    const done = m.done;
    this.queue.post([...this.head(peer), ...m.parts], done.length === 0 ? undefined : (err) => {
      for (const d of done) d(err);
    });
  }
}
