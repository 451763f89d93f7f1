/**
 * Server end of the event channel: a bound SUB receiving every worker's pushes. Any
 * local process that reaches the endpoint can publish to it, so each frame is checked
 * against the protocol before it goes anywhere, and nothing a peer sends (nor a
 * failure handling it) ends the loop.
 */
import { Subscriber } from 'zeromq';
import { bounded, type Rejection } from './frame-check.js';
import { decodeFrame, pushedEventSchema } from './frames.js';
import type { PushedEvent } from './worker-protocol.js';
import { messageOf, receiveEach } from './receive-loop.js';

export class EventSubscriber {
  private readonly socket = new Subscriber({ receiveHighWaterMark: 100_000, linger: 0 });

  constructor(
    /** `bytes`: the frame's size, what the replay ring counts. */
    private readonly onEvent: (event: PushedEvent, bytes: number) => void,
    /** A frame was dropped. */
    private readonly onReject: (rejection: Rejection) => void,
    /** The socket itself failed. */
    private readonly onError: (err: unknown) => void,
  ) {}

  async bind(endpoint: string): Promise<void> {
    this.socket.subscribe();
    await this.socket.bind(endpoint);
    void this.receiveLoop();
  }

  close(): void {
    this.socket.close();
  }

  private receiveLoop(): Promise<void> {
    return receiveEach(this.socket, {
      onMessage: (frames) => this.accept(frames),
      onHandlerError: (err) => this.reject('handler_error', bounded(messageOf(err))),
      onSocketError: (err) => this.onError(err),
    });
  }

  private accept(frames: Buffer[]): void {
    if (frames.length !== 1) return this.reject('bad_frame', `${frames.length} parts, expected 1`);
    const decoded = decodeFrame(pushedEventSchema, frames[0]);
    if (!decoded.ok) return this.reject('bad_frame', decoded.detail);
    this.onEvent(decoded.value, frames[0]!.length);
  }

  private reject(reason: Rejection['reason'], detail: string): void {
    this.onReject({ channel: 'events', reason, detail });
  }
}
