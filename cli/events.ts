/** Print what the broker pushes as JSON lines, and the connection's ups and downs on stderr. */
import type { RobotClient } from '../client/index.js';
import { err, json, out } from './output.js';

export interface FollowOptions {
  /** Only these events; empty: every event. */
  events: string[];
  /** Stop after this many printed events. */
  count?: number | undefined;
}

/**
 * Print each pushed event as `{"event","data","at"}` until `count` events, SIGINT/SIGTERM
 * (resolve), or the client gives up (reject with its error).
 */
export function followEvents(client: RobotClient, options: FollowOptions): Promise<void> {
  const wanted = new Set(options.events);
  let printed = 0;
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown) => {
      client.offAny(onEvent);
      client.off('disconnect', onDisconnect);
      client.off('connect', onConnect);
      client.off('reconnect_failed', finish);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (error) reject(error);
      else resolve();
    };
    const onEvent = (event: string, data: unknown) => {
      if (wanted.size > 0 && !wanted.has(event)) return;
      out(json({ event, data, at: new Date().toISOString() }));
      printed += 1;
      if (options.count !== undefined && printed >= options.count) finish();
    };
    const onSignal = () => finish();
    const onDisconnect = (reason: string) => err(`robot-control: disconnected (${reason}); reconnecting...`);
    const onConnect = () => err('robot-control: connected');
    client.onAny(onEvent);
    client.on('disconnect', onDisconnect);
    client.on('connect', onConnect);
    client.on('reconnect_failed', finish);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
