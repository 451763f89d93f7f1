/**
 * Worker end of the command channel: a DEALER connected to the server's ROUTER.
 * Requests are handled concurrently (a long async robot method must not block a
 * later StopMove); replies are queued because zeromq.js allows one pending send.
 * Whatever arrives has its envelope checked first (frame-check.ts): whoever is bound at
 * the endpoint (normally the server; a squatter if the socket file was replaced) gets
 * nothing run for a frame that is not a request, and cannot stop the loop; a request
 * whose parameters do not fit fails with an error reply.
 */
import type * as zmq from 'zeromq';
import { requireCjs } from './cjs.js';
import { BrokerError } from './errors.js';
import { bounded, decodeRequest, type Rejection } from './frame-check.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';
import { PartBatch } from './part-batch.js';
import { messageOf, receiveEach, WAKE_UP_MS } from './receive-loop.js';
import { SendQueue } from './send-queue.js';

const { Dealer } = requireCjs('zeromq') as typeof zmq;

export type RequestHandler = (request: WorkerRequest) => unknown;

export class RpcDealer {
  private readonly socket: zmq.Dealer;
  private readonly queue: SendQueue;
  /** Replies of one turn go as one message (part-batch.ts). */
  private readonly batch: PartBatch;

  constructor(
    routingId: string,
    private readonly handler: RequestHandler,
    private readonly onError: (err: unknown) => void,
    /** A request was dropped. */
    private readonly onReject: (rejection: Rejection) => void = () => {},
  ) {
    this.socket = new Dealer({ routingId, linger: 1000, receiveTimeout: WAKE_UP_MS }); // its replies may wait for room: receive-loop.ts
    this.queue = new SendQueue(this.socket, onError);
    this.batch = new PartBatch(this.queue, () => []);
  }

  connect(endpoint: string): void {
    this.socket.connect(endpoint);
    void this.receiveLoop();
  }

  send(reply: WorkerReply): Promise<void> {
    return this.queue.send([JSON.stringify(reply)]);
  }

  close(): void {
    this.socket.close();
  }

  private receiveLoop(): Promise<void> {
    return receiveEach(this.socket, {
      onMessage: (frames) => this.accept(frames),
      onHandlerError: (err) => this.onReject({ channel: 'command', reason: 'handler_error', detail: bounded(messageOf(err)) }),
      onSocketError: (err) => this.onError(err),
    });
  }

  /** [JSON request, ...more requests (part-batch.ts)]: each handled on its own. */
  private accept(bodies: Buffer[]): void {
    if (bodies.length === 0) return this.onReject({ channel: 'command', reason: 'bad_frame', detail: 'empty message' });
    for (const body of bodies) {
      const request = decodeRequest(body);
      if (!request.ok) this.onReject({ channel: 'command', reason: 'bad_frame', detail: request.detail });
      else void this.handle(request.value);
    }
  }

  private async handle(request: WorkerRequest): Promise<void> {
    let reply: WorkerReply;
    try {
      const result = await this.handler(request);
      reply = { type: 'reply', id: request.id, ok: true, result: result === undefined ? null : result };
    } catch (err) {
      const wire = BrokerError.from(err).toWire();
      reply = { type: 'reply', id: request.id, ok: false, message: wire.message, error: wire.data };
    }
    let encoded: string;
    try {
      encoded = JSON.stringify(reply);
    } catch (err) {
      // A result JSON cannot carry (a cycle, a BigInt) is the method's fault, not the worker's.
      const wire = new BrokerError('E_METHOD_FAILED', `the return value cannot be sent: ${(err as Error).message}`).toWire();
      encoded = JSON.stringify({ type: 'reply', id: request.id, ok: false, message: wire.message, error: wire.data });
    }
    this.batch.add('', encoded); // a failed send reaches onError through the queue
  }
}
