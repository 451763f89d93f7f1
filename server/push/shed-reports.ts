/**
 * Telling clients what they lost (relay.ts): `events_shed` `{ shed, total, limit }` and a
 * warn line per client with losses since its last report, at most every REPORT_EVERY_MS,
 * so a client shed on every event is not told on every event.
 */
import type { ShedReport } from '../../ipc/protocol.js';
import type { Logger } from '../logger.js';
import type { Feed } from './feed.js';

/** How often, at most, a shedding client is told about it (ms). */
const REPORT_EVERY_MS = 250;

export class ShedReports {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly feeds: ReadonlyMap<string, Feed>,
    /** The backlog limit, told with each report. */
    private readonly limit: number,
    private readonly log: Logger,
  ) {}

  /** Report, soon, every client with losses it has not been told of. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const feed of this.feeds.values()) {
        if (feed.shedSinceReport === 0) continue;
        const report: ShedReport = { shed: feed.shedSinceReport, total: feed.shedTotal, limit: this.limit };
        feed.shedSinceReport = 0;
        this.log.warn({ event: 'events_shed', socket: feed.id, ...report }, 'client too slow: pushed events shed');
        feed.socket.emit('events_shed', report);
      }
    }, REPORT_EVERY_MS);
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
