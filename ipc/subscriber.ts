/**
 * Server end of the event channel: a bound SUB receiving every worker's pushes. Any
 * local process that reaches the endpoint can publish to it, so each frame is checked
 * against the protocol before it goes anywhere, and nothing a peer sends (nor a
 * failure handling it) ends the loop.
 */
import type * as zmq from 'zeromq';
import { requireCjs } from './cjs.js';
import { bounded, type Rejection } from './frame-check.js';
import { decodeFrame, pushedEventSchema } from './frames.js';
import type { PushedEvent } from './worker-protocol.js';
import { PUSH_HIGH_WATER_MARK } from './publisher.js';
import { messageOf, receiveEach } from './receive-loop.js';

const { Subscriber } = requireCjs('zeromq') as typeof zmq;

export class EventSubscriber {
  private readonly socket = new Subscriber({ receiveHighWaterMark: PUSH_HIGH_WATER_MARK, linger: 0 });

  constructor(
    /** `bytes`: the frame's size, what the replay ring counts. */
    private readonly onEvent: (event: PushedEvent, bytes: number) => void,
    /** A frame was dropped. */
    private readonly onReject: (rejection: Rejection) => void,
    /** The socket itself failed. */
    private readonly onError: (err: unknown) => void,
    /** Asked before each message is read: a promise while the reader of the events wants none (flow control). */
    private readonly hold?: () => Promise<void> | undefined,
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
      hold: this.hold,
    });
  }

  /** One message: an event in each part (part-batch.ts), each judged on its own. */
  private accept(frames: Buffer[]): void {
    for (const frame of frames) {
      try {
        const decoded = decodeFrame(pushedEventSchema, frame);
        if (!decoded.ok) this.reject('bad_frame', decoded.detail);
        else this.onEvent(decoded.value, frame.length);
      } catch (err) {
        this.reject('handler_error', bounded(messageOf(err))); // and on with the next part
      }
    }
  }

  private reject(reason: Rejection['reason'], detail: string): void {
    this.onReject({ channel: 'events', reason, detail });
  }
}
