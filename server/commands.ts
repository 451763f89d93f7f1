/**
 * The client's commands: validate at the edge, forward to the worker, answer the
 * ack. Every command is logged once with its request id, duration and outcome.
 */
import type { Socket } from 'socket.io';
import { BrokerError, type ErrorCode } from '../ipc/errors.js';
import type { Ack, ClientToServerEvents, MonitorCommand, ServerToClientEvents, StartResult, UpdateResult } from '../ipc/protocol.js';
import type { BrokerEvents } from './broker-events.js';
import { EVENTS_CHANNEL, type Logger } from './logger.js';
import { COMMANDS, parseProcess, parseStart, parseUpdate, type CommandName } from './payloads.js';
import type { Supervisor } from './supervisor.js';

export interface CommandLimits {
  maxMessageSize: number;
  callTimeoutMs: number;
  /** How long a freshly updated project may take to load before it is rolled back. */
  loadTimeoutMs: number;
  /** Unpacking a big upload can take a while; this bounds it. */
  updateTimeoutMs: number;
}

export type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export class Commands {
  constructor(
    private readonly supervisor: Supervisor,
    private readonly limits: CommandLimits,
    private readonly log: Logger,
    private readonly events: BrokerEvents,
  ) {}

  /** Wire the three commands (and the guards for unknown events) onto a client socket. */
  attach(socket: ClientSocket): void {
    const log = this.log.child({ socket: socket.id });
    for (const command of COMMANDS) {
      socket.on(command, (payload: unknown, ack: unknown) => void this.run(socket, command, payload, ack));
    }
    socket.onAny((event: string, ...args: unknown[]) => {
      if ((COMMANDS as string[]).includes(event)) return;
      const err = new BrokerError('E_UNKNOWN_EVENT', `unknown event "${String(event).slice(0, 100)}"; the commands are ${COMMANDS.join(', ')}`, {
        event: String(event).slice(0, 100),
      });
      log.warn({ channel: EVENTS_CHANNEL, event: 'unknown_event', name: String(event).slice(0, 100), code: err.code }, 'unknown event');
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack(errorAck(err));
      else socket.emit('broker_error', err.toWire());
    });
  }

  private async run(socket: ClientSocket, command: CommandName, payload: unknown, ack: unknown): Promise<void> {
    const reqId = this.supervisor.allocateId();
    const started = performance.now();
    let response: Ack;
    let detail: { object?: string; method?: string } = {};
    if (this.events.listenerCount('command') > 0) this.events.emit('command', describe(command, reqId, payload));
    try {
      if (typeof ack !== 'function') {
        throw new BrokerError('E_NO_ACK', `${command} needs an acknowledgement callback: emit("${command}", payload, callback)`);
      }
      switch (command) {
        case 'update':
          response = success('Project updated; the worker restarted', await this.update(payload, reqId));
          break;
        case 'start':
          parseStart(payload);
          response = success('Project started', await this.start(reqId));
          break;
        case 'process': {
          const params = parseProcess(payload);
          detail = { object: params.object, method: params.method };
          const result = await this.supervisor.call('process', params, { id: reqId, timeoutMs: this.limits.callTimeoutMs });
          response = success('ok', result);
          break;
        }
      }
    } catch (err) {
      response = errorAck(BrokerError.from(err));
    }
    const ms = performance.now() - started;
    const code = response.status === 'success' ? undefined : (response.data as { code: ErrorCode }).code;
    // The events journal (observability/events-journal.ts) logs every command from this event.
    this.events.emit('ack', { reqId, command, at: Date.now(), ms, status: response.status, message: response.message, data: response.data, ...detail, ...(code ? { code } : {}) });
    if (typeof ack === 'function') ack(response);
    else socket.emit('broker_error', { message: response.message, data: response.data as { code: ErrorCode } });
  }

  private async update(payload: unknown, reqId: number): Promise<UpdateResult> {
    const zip = parseUpdate(payload);
    if (zip.length > this.limits.maxMessageSize) {
      throw new BrokerError('E_TOO_LARGE', `the project is ${zip.length} bytes; the limit is ${this.limits.maxMessageSize}`, {
        bytes: zip.length,
        limit: this.limits.maxMessageSize,
      });
    }
    return this.supervisor.update(zip, reqId, { updateTimeoutMs: this.limits.updateTimeoutMs, loadTimeoutMs: this.limits.loadTimeoutMs });
  }

  private start(reqId: number): Promise<StartResult> {
    return this.supervisor.call('start', {}, { id: reqId, timeoutMs: this.limits.callTimeoutMs, clearFailed: true });
  }
}

function success<T>(message: string, data: T): Ack<T> {
  return { status: 'success', message, data };
}

export function errorAck(err: BrokerError): Ack<never> {
  const wire = err.toWire();
  return { status: 'error', message: wire.message, data: wire.data };
}


/** A command as the monitor shows it: never the ZIP bytes, only their size. */
function describe(command: CommandName, reqId: number, payload: unknown): MonitorCommand {
  const at = Date.now();
  const p = (payload ?? {}) as Record<string, unknown>;
  if (command === 'process') {
    const params = (p.params ?? {}) as Record<string, unknown>;
    return { reqId, command, at, object: String(params.object), method: String(params.method), args: params.args };
  }
  if (command === 'update') {
    const data = p.data ?? p.zip_data;
    const bytes =
      typeof data === 'string'
        ? Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0)
        : data instanceof Uint8Array || data instanceof ArrayBuffer
          ? data.byteLength
          : 0;
    return { reqId, command, at, bytes };
  }
  return { reqId, command, at };
}
