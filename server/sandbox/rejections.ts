/**
 * Frames the server dropped (ipc/frames.ts says why): each one counted (BrokerEvents
 * `ipc_rejected`, which /stats and /metrics read) and logged on the events channel as
 * a security event. A flood of bad frames must not become a flood of log lines: per
 * reason, one line at once and then at most one every LOG_EVERY_MS, with how many
 * were not logged in between.
 */
import type { Rejection } from '../../ipc/frame-check.js';
import type { BrokerEvents } from '../broker-events.js';
import { EVENTS_CHANNEL, type Logger } from '../logger.js';

const LOG_EVERY_MS = 5000;

export class IpcRejections {
  private readonly log: Logger;
  private readonly lastLogged = new Map<string, { at: number; unlogged: number }>();

  constructor(
    log: Logger,
    private readonly events: BrokerEvents,
  ) {
    this.log = log.child({ channel: EVENTS_CHANNEL, module: 'ipc' });
  }

  readonly note = (r: Rejection): void => {
    this.events.emit('ipc_rejected', r);
    const now = Date.now();
    const seen = this.lastLogged.get(r.reason);
    if (seen && now - seen.at < LOG_EVERY_MS) {
      seen.unlogged++;
      return;
    }
    const unlogged = seen?.unlogged ?? 0;
    this.lastLogged.set(r.reason, { at: now, unlogged: 0 });
    this.log.warn(
      { event: 'ipc_rejected', ipcChannel: r.channel, reason: r.reason, detail: r.detail, ...(r.peer ? { peer: r.peer } : {}), ...(unlogged ? { unlogged } : {}) },
      `dropped a ${r.channel} frame: ${r.reason}`,
    );
  };
}
