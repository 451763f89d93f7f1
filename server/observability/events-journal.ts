/**
 * The events log: one line per connection, refusal, command, worker state change
 * and security event, on the `events` channel (which logger.ts routes to
 * events.log as well as app.log). Every line has an `event` field the log viewer
 * filters and counts by. User-controlled values are bound as values, never as keys.
 */
import type { BrokerEvents, BrokerEventMap } from '../broker-events.js';
import { EVENTS_CHANNEL, type Logger } from '../logger.js';

/** Codes that mean someone sent something hostile or broken on purpose, not a robot failure. */
const SECURITY_CODES: ReadonlySet<string> = new Set(['E_UNSAFE_ZIP', 'E_ZIP_LIMIT', 'E_TOO_LARGE']);

export interface EventsJournal {
  /** A refused token on an HTTP route or the monitor namespace. */
  authFailed(surface: string, address: string, reason: string): void;
  close(): void;
}

export function installEventsJournal(events: BrokerEvents, log: Logger): EventsJournal {
  const j = log.child({ channel: EVENTS_CHANNEL });
  // A command's line has fixed fields only (names, numbers, a code): no key a secret could sit under, so no
  // redaction pass, which was 2.6 µs of the 4.6 µs a line costs (13 paths), once per command.
  const commands = log.child({ channel: EVENTS_CHANNEL }, { redact: [] });

  const onClient = (c: BrokerEventMap['client'][0]): void => {
    if (c.state === 'connected') j.info({ event: 'client_connected', address: c.address }, 'client connected');
    else if (c.state === 'disconnected') j.info({ event: 'client_disconnected', address: c.address, reason: c.reason }, 'client disconnected');
    else if (c.reason === 'unauthorized') j.warn({ event: 'auth_failed', surface: 'socket.io', address: c.address }, 'connection refused: unauthorized');
    else j.info({ event: 'client_refused', address: c.address, reason: c.reason }, `connection refused: ${c.reason}`);
  };

  const onAck = (a: BrokerEventMap['ack'][0]): void => {
    const fields = {
      event: 'command',
      reqId: a.reqId,
      command: a.command,
      ...(a.object !== undefined ? { object: a.object, method: a.method } : {}),
      ms: Math.round(a.ms * 1000) / 1000,
      outcome: a.status,
      ...(a.code ? { code: a.code } : {}),
    };
    if (a.status === 'success') commands.info(fields, `${a.command} ok`);
    else commands.warn(fields, `${a.command} failed: ${a.message}`);
    if (a.code && SECURITY_CODES.has(a.code)) {
      j.warn({ event: 'rejected_upload', reqId: a.reqId, code: a.code }, `upload rejected: ${a.message}`);
    }
  };

  const onWorker = (s: BrokerEventMap['worker_status'][0]): void => {
    // `workerPid`: pino's own `pid` (the server's) is on every line already.
    const fields = { event: 'worker_state', state: s.state, generation: s.generation, workerPid: s.pid, reason: s.reason, restarts: s.restarts, ...(s.stateLost ? { stateLost: true, exit: s.exit } : {}) };
    const msg = `worker ${s.state}${s.reason ? ` (${s.reason})` : ''}`;
    if (s.state === 'failed') j.error(fields, msg);
    else if (s.reason?.startsWith('crash')) j.warn(fields, msg);
    else j.info(fields, msg);
  };

  const onControl = (c: BrokerEventMap['control'][0]): void => {
    j.info(
      { event: 'control_changed', reason: c.reason, controller: c.controller, previous: c.previous, address: c.address, observers: c.observers },
      `control ${c.reason}: ${c.controller ?? 'nobody'} holds the lease${c.previous && c.previous !== c.controller ? ` (was ${c.previous})` : ''}`,
    );
  };

  const onEmergencyStop = (e: BrokerEventMap['emergency_stop'][0]): void => {
    const fields = { event: 'emergency_stop', clientId: e.clientId, role: e.role, address: e.address, outcome: e.status, stopped: e.stopped, ...(e.code ? { code: e.code } : {}) };
    const who = `${e.clientId ?? 'anonymous'} (${e.role}, ${e.address})`;
    if (e.status === 'success') j.warn(fields, `emergency stop by ${who}: ${e.stopped.length} stopped`);
    else j.error(fields, `emergency stop by ${who} failed: ${e.code}`);
  };

  events.on('client', onClient);
  events.on('control', onControl);
  events.on('emergency_stop', onEmergencyStop);
  events.on('ack', onAck);
  events.on('worker_status', onWorker);
  return {
    authFailed: (surface, address, reason) => j.warn({ event: 'auth_failed', surface, address, reason }, `${surface}: unauthorized (${reason})`),
    close: () => {
      events.off('client', onClient);
      events.off('control', onControl);
      events.off('emergency_stop', onEmergencyStop);
      events.off('ack', onAck);
      events.off('worker_status', onWorker);
    },
  };
}
