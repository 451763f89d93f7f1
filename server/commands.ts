/**
 * The client's commands: validate at the edge, forward to the worker, answer the
 * ack. Every command is logged once with its request id, duration and outcome.
 *
 * Every command is answered, whatever shape it arrives in. Socket.IO hands the ack
 * callback over as the *last* argument: the payload is the first argument unless
 * that is the ack itself (`emit('process', ack)`: no payload), and any arguments in
 * between are ignored. A command without an ack is answered with `broker_error`.
 */
import type { Socket } from 'socket.io';
import { BrokerError, type ErrorCode } from '../ipc/errors.js';
import type { Ack, ClientToServerEvents, MonitorCommand, ServerToClientEvents, StartResult, UpdateResult } from '../ipc/protocol.js';
import type { BrokerEventMap, BrokerEvents } from './broker-events.js';
import { EVENTS_CHANNEL, type Logger } from './logger.js';
import { checkShape } from './payload-shape.js';
import { COMMANDS, checkPayload, parseProcess, parseStart, parseUpdate, parseUpdateChunk, type CommandName } from './payloads.js';
import type { Supervisor } from './supervisor.js';
import { IncomingUpload, type Upload } from './storage/unpack-thread.js';
import { projectTooLarge, UploadAssembly } from './upload-assembly.js';

export interface CommandLimits {
  maxMessageSize: number;
  /** websocket.max_payload_depth: levels a payload (and a call's result) may nest. */
  maxPayloadDepth: number;
  /** worker.max_in_flight: commands waiting for their answer past which new ones get E_OVERLOADED. */
  maxInFlight: number;
  callTimeoutMs: number;
  /** How long a freshly updated project may take to load before it is rolled back. */
  loadTimeoutMs: number;
  /** Unpacking a big upload can take a while; this bounds it. */
  updateTimeoutMs: number;
}

export type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

type AckCallback = (response: Ack) => void;

/** Answer in the ack, or, without one, an error as `broker_error` (a success needs no word). */
export function reply(socket: ClientSocket, ack: AckCallback | undefined, response: Ack): void {
  if (ack !== undefined) ack(response);
  else if (response.status === 'error') socket.emit('broker_error', { message: response.message, data: response.data });
}

/** The payload and the ack of an event's arguments, as Socket.IO passes them. */
export function splitArgs(args: readonly unknown[]): { payload: unknown; ack: AckCallback | undefined } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as AckCallback) : undefined;
  const payload = ack !== undefined && args.length === 1 ? undefined : args[0];
  return { payload, ack };
}

export class Commands {
  /** Commands received and not answered yet (worker.max_in_flight bounds it). */
  private inFlight = 0;
  /** The upload arriving in pieces (`update_chunk`), if any. */
  private readonly uploads: UploadAssembly;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly limits: CommandLimits,
    private readonly log: Logger,
    private readonly events: BrokerEvents,
  ) {
    this.uploads = new UploadAssembly(limits.maxMessageSize, (total) => supervisor.receiveUpload(total));
  }

  /**
   * Wire the three commands (and the guard for unknown events) onto a client socket.
   * `observing` is asked at each command: non-null (an observer of the control lease,
   * with the holder's name) answers E_NOT_CONTROLLER and sends nothing to the worker.
   */
  attach(socket: ClientSocket, observing: () => { controller: string | null } | null = () => null): void {
    const log = this.log.child({ socket: socket.id });
    socket.on('disconnect', () => this.uploads.dropFor(socket.id));
    for (const command of COMMANDS) {
      socket.on(command, (...args: unknown[]) => {
        this.run(socket, command, args, log, observing).catch((err: unknown) => log.error({ err, command }, 'command handler failed'));
      });
    }
    socket.onAny((event: unknown, ...args: unknown[]) => {
      // Events other modules handle on this socket (record, the lease's) are known too.
      if (typeof event === 'string' && socket.listeners(event as keyof ClientToServerEvents).length > 0) return;
      const name = String(event).slice(0, 100);
      const known = socket.eventNames().filter((n): n is string => typeof n === 'string' && n !== 'disconnect' && n !== 'disconnecting' && n !== 'error');
      const err = new BrokerError('E_UNKNOWN_EVENT', `unknown event "${name}"; the commands are ${known.join(', ')}`, { event: name });
      log.warn({ channel: EVENTS_CHANNEL, event: 'unknown_event', name, code: err.code }, 'unknown event');
      this.answer(socket, splitArgs(args).ack, errorAck(err), log);
    });
  }

  private async run(socket: ClientSocket, command: CommandName, args: unknown[], log: Logger, observing: () => { controller: string | null } | null): Promise<void> {
    const { payload, ack } = splitArgs(args);
    const reqId = this.supervisor.allocateId();
    const started = performance.now();
    // An upload in pieces is one `update` to the log, the metrics and the monitors: its last piece, or a piece refused.
    const shownAs = command === 'update_chunk' ? 'update' : command;
    let response: Ack;
    let detail: { object?: string; method?: string } = {};
    let counted = false;
    let piece: { offset: number; bytes: number } | null = null;
    // Monitors see every command, but never a payload whose shape was refused.
    let announced = false;
    const announce = (shown: unknown): void => {
      announced = true;
      this.notify('command', describe(shownAs, reqId, shown), log);
    };
    try {
      if (ack === undefined) {
        throw new BrokerError('E_NO_ACK', `${command} needs an acknowledgement callback: emit("${command}", payload, callback)`);
      }
      const observer = observing();
      if (observer) {
        throw new BrokerError('E_NOT_CONTROLLER', `${command}: this client observes; take_control first (only the lease holder may send update, start or process)`, observer);
      }
      if (this.inFlight >= this.limits.maxInFlight) {
        throw new BrokerError('E_OVERLOADED', `${this.inFlight} commands are in flight already (worker.max_in_flight); retry once some are answered`, {
          limit: this.limits.maxInFlight,
        });
      }
      this.inFlight++;
      counted = true;
      this.supervisor.inUse();
      checkPayload(command, payload, { maxDepth: this.limits.maxPayloadDepth, maxBytes: this.limits.maxMessageSize });
      if (command !== 'update_chunk') announce(payload);
      switch (command) {
        case 'update':
          response = success('Project updated; the worker restarted', await this.update(parseUpdate(payload), reqId));
          break;
        case 'update_chunk': {
          const p = parseUpdateChunk(payload);
          const bytes = p.data.length; // add() may move the data on (it is empty then)
          const got = this.uploads.add(socket.id, p);
          if (!(got instanceof IncomingUpload)) {
            piece = { offset: p.offset, bytes };
            response = success('piece received', got);
            break;
          }
          announce({ data: got });
          // Whatever becomes of the update, the upload is not needed after it (a no-op once it was unpacked).
          response = success('Project updated; the worker restarted', await this.update(got, reqId).finally(() => got.abandon()));
          break;
        }
        case 'start':
          parseStart(payload);
          response = success('Project started', this.sendable(await this.start(reqId)));
          break;
        case 'process': {
          const params = parseProcess(payload);
          detail = { object: params.object, method: params.method };
          const result = await this.supervisor.call('process', params, { id: reqId, timeoutMs: this.limits.callTimeoutMs });
          response = success('ok', this.sendable(result));
          break;
        }
      }
    } catch (err) {
      if (!announced) announce(undefined);
      response = errorAck(BrokerError.from(err));
    } finally {
      if (counted) this.inFlight--;
    }
    const ms = performance.now() - started;
    // The client first: the observers below (the log line, the metrics) run in the same tick, after the answer is on its way.
    this.answer(socket, ack, response, log);
    if (piece !== null) {
      // A piece taken (not the last): the upload's one line comes with its last piece, or a refusal.
      log.debug({ reqId, command, ...piece }, 'update: piece received');
      return;
    }
    const code = response.status === 'success' ? undefined : response.data.code;
    // The events journal (observability/events-journal.ts) logs every command from this event.
    this.notify('ack', { reqId, command: shownAs, at: Date.now(), ms, status: response.status, message: response.message, data: response.data, ...detail, ...(code ? { code } : {}) }, log);
  }

  /** A result the client can be sent: nested no deeper than payloads may be (Socket.IO's encoder recurses). */
  private sendable<T>(result: T): T {
    const v = checkShape(result, { maxDepth: this.limits.maxPayloadDepth });
    if (v === null) return result;
    throw new BrokerError('E_METHOD_FAILED', `the return value cannot be sent: nested deeper than ${v.limit} levels (websocket.max_payload_depth)`, {
      limit: v.limit,
    });
  }

  /** Tell the observers (journal, stats, monitors); whatever they do wrong is logged, never the client's problem. */
  private notify<K extends 'command' | 'ack'>(name: K, event: BrokerEventMap[K][0], log: Logger): void {
    if (this.events.listenerCount(name) === 0) return;
    try {
      (this.events.emit as (n: K, e: BrokerEventMap[K][0]) => boolean)(name, event);
    } catch (err) {
      log.error({ err, event: name }, 'an observer failed');
    }
  }

  /** Answer in the ack, or as `broker_error` without one. A response that cannot be encoded becomes E_INTERNAL. */
  private answer(socket: ClientSocket, ack: AckCallback | undefined, response: Ack, log: Logger): void {
    const send = (r: Ack): void => reply(socket, ack, r);
    try {
      send(response);
    } catch (err) {
      log.error({ err }, 'the answer could not be sent');
      try {
        send(errorAck(new BrokerError('E_INTERNAL', 'the answer could not be sent; the log has the details')));
      } catch {
        // Nothing more can be done for this one; the log has it.
      }
    }
  }

  private async update(zip: Upload, reqId: number): Promise<UpdateResult> {
    // In pieces, the size was checked at the first piece (upload-assembly.ts).
    if (Buffer.isBuffer(zip) && zip.length > this.limits.maxMessageSize) throw projectTooLarge(zip.length, this.limits.maxMessageSize);
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field for the monitor only when it is text (never String() of a client's object: its toString may be anything). */
function text<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

/** A command as the monitor shows it: never the ZIP bytes, only their size. */
function describe(command: Exclude<CommandName, 'update_chunk'>, reqId: number, payload: unknown): MonitorCommand {
  const at = Date.now();
  const p = isRecord(payload) ? payload : {};
  if (command === 'process') {
    const params = isRecord(p.params) ? p.params : {};
    return { reqId, command, at, ...text('object', params.object), ...text('method', params.method), args: params.args };
  }
  if (command === 'update') {
    const data = p.data ?? p.zip_data;
    const bytes =
      typeof data === 'string'
        ? Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0)
        : data instanceof Uint8Array || data instanceof ArrayBuffer
          ? data.byteLength
          : data instanceof IncomingUpload
            ? data.total
            : 0;
    return { reqId, command, at, bytes };
  }
  return { reqId, command, at };
}
