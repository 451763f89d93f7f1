/**
 * Where a client is in the broker's push stream, and what it asked of it (docs/REPLAY.md):
 * the broker run (`epoch`) and the highest seq received, sent back at every reconnect
 * (`auth.lastSeq`, `auth.epoch`) so the broker replays what was missed; and the
 * `subscribe` throttles, which the broker keeps per connection, to send again on each.
 */
import type { HandshakeAuth, PushMeta, ReplayGap, ReplayInfo, SubscribePayload } from '../ipc/protocol.js';

export class PushStream {
  private seq: number | undefined;
  private run: string | undefined;
  /** The throttles asked for, by event name: max_rate_hz. */
  private readonly throttles = new Map<string, number>();

  constructor(start: { lastSeq?: number | undefined; epoch?: string | undefined } = {}) {
    this.seq = start.lastSeq;
    this.run = start.epoch;
  }

  /** The highest seq received (or replayed past), undefined before the first `replay_info`. */
  get lastSeq(): number | undefined {
    return this.seq;
  }

  /** The broker run lastSeq belongs to. */
  get epoch(): string | undefined {
    return this.run;
  }

  /** The handshake's part: always meta, and the position to replay from once there is one. */
  handshake(): Pick<HandshakeAuth, 'meta' | 'lastSeq' | 'epoch'> {
    return { meta: true, ...(this.seq !== undefined && { lastSeq: this.seq }), ...(this.run !== undefined && { epoch: this.run }) };
  }

  /**
   * One packet from the broker; for a robot push, its PushMeta (broker events carry none).
   * Runs before any listener, so a listener reading lastSeq sees this packet counted.
   */
  receive(event: string, args: unknown[]): PushMeta | undefined {
    if (event === 'replay_info') {
      // The broker's word on this connection's start: everything up to seq - replay was
      // received, replayed past (a `replay_gap` follows) or came before this client. After
      // a broker restart this is lower than the old run's lastSeq, and must be.
      const info = args[0] as ReplayInfo;
      this.run = info.epoch;
      this.seq = info.seq - info.replay;
      return undefined;
    }
    if (event === 'replay_gap') {
      // Lost for good: a reconnect before the next event need not hear of them again.
      this.advance((args[0] as ReplayGap).to);
      return undefined;
    }
    const meta = args[1] as PushMeta | undefined;
    if (typeof meta !== 'object' || meta === null || typeof meta.seq !== 'number') return undefined;
    // The highest, not the last: a throttled event may arrive after a later one of another name.
    this.advance(meta.seq);
    return meta;
  }

  /**
   * Ask for a throttle on `event` (undefined: none), sent again after every reconnect.
   * Returns the one it replaces, to put back if the broker refuses.
   */
  throttle(event: string, maxRateHz: number | undefined): number | undefined {
    const previous = this.throttles.get(event);
    if (maxRateHz === undefined) this.throttles.delete(event);
    else this.throttles.set(event, maxRateHz);
    return previous;
  }

  /** The throttles to send again on a new connection. */
  subscriptions(): SubscribePayload[] {
    return [...this.throttles].map(([event, hz]) => ({ event, max_rate_hz: hz }));
  }

  private advance(seq: number): void {
    if (this.seq === undefined || seq > this.seq) this.seq = seq;
  }
}
