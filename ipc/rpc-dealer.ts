/**
 * Worker end of the command channel: a DEALER connected to the server's ROUTER.
 * Requests are handled concurrently (a long async robot method must not block a
 * later StopMove); replies are queued because zeromq.js allows one pending send.
 */
import { Dealer } from 'zeromq';
import { BrokerError } from './errors.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { SendQueue } from './send-queue.js';

export type RequestHandler = (request: WorkerRequest, frames: Buffer[]) => unknown;

export class RpcDealer {
  private readonly socket: Dealer;
  private readonly queue: SendQueue;

  constructor(
    routingId: string,
    private readonly handler: RequestHandler,
    private readonly onError: (err: unknown) => void,
  ) {
    this.socket = new Dealer({ routingId, linger: 1000 });
    this.queue = new SendQueue(this.socket, onError);
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

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [body, ...frames] of this.socket) {
        if (!body) continue;
        let request: WorkerRequest;
        try {
          request = JSON.parse(body.toString()) as WorkerRequest;
        } catch (err) {
          this.onError(err);
          continue;
        }
        void this.handle(request, frames);
      }
    } catch (err) {
      if (!this.socket.closed) this.onError(err);
    }
  }

  private async handle(request: WorkerRequest, frames: Buffer[]): Promise<void> {
    let reply: WorkerReply;
    try {
      const result = await this.handler(request, frames);
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
    this.queue.post([encoded]); // a failed send reaches onError through the queue
  }
}
