/**
 * The push stream as this tab has received it (docs/REPLAY.md): the broker run (`epoch`)
 * and the highest seq seen, sent back in the handshake on every reconnect so the broker
 * replays, in order, what was pushed meanwhile. And what a lost stretch looks like: one
 * line in the events log, one mark in the plot.
 */
import type { HandshakeAuth, PushMeta, ReplayGap, ReplayInfo } from '#protocol';
import type { Shared } from './shared.js';

/** Events this tab will never see: a `replay_gap`, or (watch mode) a jump in the monitor's seq. */
export interface LostRange {
  from: number;
  to: number;
  reason: ReplayGap['reason'] | 'not seen';
}

export class StreamCursor {
  private epoch: string | undefined;
  private lastSeq = 0;
  /** This clock minus the broker's, ms: the least (arrival − meta.ts) seen, so latency pads it and late (replayed) events never raise it. */
  private offset = Infinity;
  /** When the newest event received happened, on this clock (ms): where a gap begins. */
  lastAt: number | undefined;

  /** The handshake's part: meta always; where the stream stopped once there is one. */
  auth(): Pick<HandshakeAuth, 'meta' | 'lastSeq' | 'epoch'> {
    return this.epoch === undefined ? { meta: true } : { meta: true, lastSeq: this.lastSeq, epoch: this.epoch };
  }

  /**
   * `replay_info`, first on every connect: what follows starts after seq − replay. That is our
   * lastSeq when nothing was lost, the broker's oldest kept event when some were, the
   * present on a first connect, and this run's start after a broker restart (a new epoch).
   */
  start(info: ReplayInfo): void {
    this.epoch = info.epoch;
    this.lastSeq = info.seq - info.replay;
  }

  /** A pushed event (meta absent: a broker that sends none): when it happened, on this clock. */
  received(meta: PushMeta | undefined): number {
    const now = Date.now();
    if (!meta) return (this.lastAt = now);
    this.lastSeq = Math.max(this.lastSeq, meta.seq);
    this.offset = Math.min(this.offset, now - meta.ts);
    return (this.lastAt = meta.ts + this.offset);
  }
}

/** "⚠ events #51–#130 lost (evicted)". */
export function lostText(gap: LostRange): string {
  if (gap.to < gap.from) return '⚠ the broker restarted: what it pushed after the last event shown is lost (restart)';
  const which = gap.to === gap.from ? `event #${gap.from}` : `events #${gap.from}–#${gap.to}`;
  return gap.reason === 'not seen' ? `⚠ ${which} missed (watch mode does not replay)` : `⚠ ${which} lost (${gap.reason})`;
}

/** Show a lost stretch: a line in the log, and a mark in the plot from `since` (the last event before it) to the next event. */
export function showLost(env: Shared, gap: LostRange, since = Date.now()): void {
  env.log.note('replay_gap', lostText(gap), gap, true);
  const what = gap.reason === 'not seen' ? 'missed' : 'lost';
  env.plot.markGap(since, gap.to < gap.from ? what : `${what} #${gap.from}–#${gap.to}`);
}
