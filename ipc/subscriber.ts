/** Server end of the event channel: a bound SUB receiving every worker's pushes. */
import { Subscriber } from 'zeromq';
import type { PushedEvent } from './protocol.js';

export class EventSubscriber {
  private readonly socket = new Subscriber({ receiveHighWaterMark: 100_000, linger: 0 });
  private closed = false;

  constructor(
    private readonly onEvent: (event: PushedEvent) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  async bind(endpoint: string): Promise<void> {
    this.socket.subscribe();
    await this.socket.bind(endpoint);
    void this.receiveLoop();
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [body] of this.socket) {
        if (!body) continue;
        let event: PushedEvent;
        try {
          event = JSON.parse(body.toString()) as PushedEvent;
        } catch (err) {
          this.onError(err);
          continue;
        }
        this.onEvent(event);
      }
    } catch (err) {
      if (!this.closed) this.onError(err);
    }
  }
}
