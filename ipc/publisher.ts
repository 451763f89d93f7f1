/**
 * Worker end of the event channel: an XPUB connected to the server's SUB.
 *
 * Measured on this machine: a PUB with default settings lost 63-79% of a fast
 * burst; with noDrop plus a retry on EAGAIN it lost none. And a message published
 * before the subscription reaches the publisher is lost, so `subscribed()`
 * resolves only once the server's subscription has arrived (XPUB sees it).
 *
 * Pushes of one turn go as the parts of one message (part-batch.ts): the server's
 * receive per message was most of its time in a flood, one per event.
 */
import type * as zmq from 'zeromq';
import { requireCjs } from './cjs.js';
import type { PushedEvent } from './worker-protocol.js';
import { MAX_PARTS, PartBatch } from './part-batch.js';
import { SendQueue, zmqErrorCode } from './send-queue.js';

const { XPublisher } = requireCjs('zeromq') as typeof zmq;

/**
 * Messages each end of the event pipe holds before a send waits (the XPUB's send and the
 * server SUB's receive high-water mark): 100,000 events when messages are full.
 */
export const PUSH_HIGH_WATER_MARK = Math.ceil(100_000 / MAX_PARTS);

export class EventPublisher {
  private readonly socket = new XPublisher({ noDrop: true, sendHighWaterMark: PUSH_HIGH_WATER_MARK, linger: 2000 });
  private readonly batch: PartBatch;
  private firstSubscription: Promise<void> | undefined;

  constructor(onError: (err: unknown) => void) {
    this.batch = new PartBatch(new SendQueue(this.socket, onError, (err) => zmqErrorCode(err) === 'EAGAIN'), () => []);
  }

  connect(endpoint: string): void {
    this.socket.connect(endpoint);
    this.firstSubscription = this.readSubscriptions();
  }

  /** Resolves once a subscriber's subscription has reached this publisher. */
  subscribed(): Promise<void> {
    if (!this.firstSubscription) throw new Error('connect() first');
    return this.firstSubscription;
  }

  /** Queue one push (no promise each: a flood is 100,000 of them); failures go to onError. */
  publish(event: PushedEvent): void {
    this.batch.add('', JSON.stringify(event));
  }

  close(): void {
    this.socket.close();
  }

  private async readSubscriptions(): Promise<void> {
    const [frame] = await this.socket.receive();
    // Byte 1 subscribes, 0 unsubscribes; the server subscribes to everything once.
    if (frame?.[0] !== 1) return this.readSubscriptions();
  }
}
