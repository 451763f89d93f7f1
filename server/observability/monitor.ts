/**
 * The admin monitor: Socket.IO namespace `/monitor`. Token-authenticated, read-only,
 * outside the single-client rule (any number may watch). Each monitor receives the
 * MonitorEvents as they happen: `command`, `ack`, `push`, `client`, `worker_status`.
 *
 * The broker pays nothing for it while nobody watches: the BrokerEvents listeners
 * are attached when the first monitor connects and removed when the last leaves
 * (and the command and push emitters skip building their events with no listener).
 * A monitor that cannot keep up has events dropped, counted, never queued without
 * bound, exactly like the controlling client's pushes.
 */
import type { Namespace, Socket } from 'socket.io';
import type { MonitorEvents } from '../../ipc/protocol.js';
import type { BrokerEvents } from '../broker-events.js';
import { tokenMatches, tokenOf, type ClientGate } from '../client-gate.js';
import type { Logger } from '../logger.js';
import type { Supervisor } from '../supervisor.js';

export const MONITOR_NAMESPACE = '/monitor';

type MonitorSocket = Socket<Record<string, never>, MonitorEvents>;
type MonitorNamespace = Namespace<Record<string, never>, MonitorEvents>;
type Forwarded = keyof MonitorEvents;
const FORWARDED: readonly Forwarded[] = ['command', 'ack', 'push', 'client', 'worker_status', 'robot_log'];

export interface MonitorOptions {
  nsp: Namespace;
  token: string;
  events: BrokerEvents;
  supervisor: Supervisor;
  gate: ClientGate;
  log: Logger;
  /** Packets waiting in a monitor's write buffer past which its events are dropped. */
  backlogLimit: number;
  onAuthFailure: (address: string) => void;
  /** Called with each monitor's engine.io connection as it joins. */
  onConnection: (conn: object) => void;
}

export class MonitorHub {
  dropped = 0;
  private readonly nsp: MonitorNamespace;
  private listening = false;
  private readonly forwarders = new Map<Forwarded, (payload: never) => void>();

  constructor(private readonly o: MonitorOptions) {
    this.nsp = o.nsp as unknown as MonitorNamespace;
    for (const name of FORWARDED) this.forwarders.set(name, ((payload: unknown) => this.broadcast(name, payload)) as (p: never) => void);
    this.nsp.use((socket, next) => {
      if (tokenMatches(tokenOf(socket as unknown as Socket), o.token)) return next();
      o.onAuthFailure(socket.handshake.address);
      next(new Error('unauthorized'));
    });
    this.nsp.on('connection', (socket) => this.onConnection(socket));
  }

  get connected(): number {
    return this.nsp.sockets.size;
  }

  private onConnection(socket: MonitorSocket): void {
    const log = this.o.log.child({ monitor: socket.id });
    log.info({ event: 'monitor_connected', address: socket.handshake.address }, 'monitor connected');
    this.o.onConnection(socket.conn);
    // Read-only: whatever a monitor emits is refused, with an error ack when it asked for one.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      const name = String(event).slice(0, 100);
      log.debug({ event: name }, 'monitor emitted an event: refused (read-only)');
      const ack = args[args.length - 1];
      if (typeof ack === 'function') {
        ack({ status: 'error', message: `the ${MONITOR_NAMESPACE} namespace is read-only ("${name}" refused)`, data: { code: 'E_UNKNOWN_EVENT', event: name } });
      }
    });
    socket.on('disconnect', (reason) => {
      log.info({ event: 'monitor_disconnected', reason }, 'monitor disconnected');
      this.update();
    });
    // Start from the present: the worker's state and who holds the robot.
    socket.emit('worker_status', this.o.supervisor.status());
    const holder = this.o.gate.current();
    if (holder) socket.emit('client', { state: 'connected', at: holder.since, address: holder.address });
    this.update();
  }

  /** Listen to the broker while someone watches, not otherwise. */
  private update(): void {
    const want = this.nsp.sockets.size > 0;
    if (want === this.listening) return;
    this.listening = want;
    for (const [name, fn] of this.forwarders) {
      if (want) this.o.events.on(name, fn as never);
      else this.o.events.off(name, fn as never);
    }
  }

  private broadcast(name: Forwarded, payload: unknown): void {
    for (const socket of this.nsp.sockets.values()) {
      if (backlogOf(socket) >= this.o.backlogLimit) {
        this.dropped++;
        continue;
      }
      try {
        (socket.emit as (event: string, data: unknown) => boolean)(name, payload);
      } catch (err) {
        // Socket.IO's encoder recurses: a value from the worker nested thousands deep cannot be sent. Dropped and counted, never a crash.
        this.dropped++;
        this.o.log.warn({ err, event: name }, 'an event could not be sent to a monitor: dropped');
      }
    }
  }

  close(): void {
    for (const s of [...this.nsp.sockets.values()]) s.disconnect(true);
    for (const [name, fn] of this.forwarders) this.o.events.off(name, fn as never);
    this.listening = false;
  }
}

function backlogOf(socket: MonitorSocket): number {
  // engine.io types writeBuffer as private; it is the measure of a peer that reads slower than we send.
  return (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}
