/**
 * The lease on the wire (docs/CONTROL.md): tells every client who holds it (`control`)
 * and what project is loaded (`project`), answers `take_control`, `release_control` and
 * `emergency_stop`, and is the deadman: whenever the controller changes or goes away
 * (disconnect, release, forced takeover) the robot's stop() hooks run, once per change.
 * An observer coming or going stops nothing.
 */
import { z } from 'zod';
import { BrokerError } from '../../ipc/errors.js';
import type { Ack, EmergencyStopResult, ReleaseControlResult, TakeControlResult } from '../../ipc/protocol.js';
import type { BrokerEvents } from '../broker-events.js';
import { errorAck, reply, splitArgs, type ClientSocket } from '../commands.js';
import type { Logger } from '../logger.js';
import type { Supervisor } from '../supervisor.js';
import { holderName, type ControlChange, type ControlLease } from './lease.js';

/** The lease commands, validated at the edge like every command. */
const schemas = {
  take_control: z.strictObject({ force: z.boolean().optional() }),
  release_control: z.object({}),
  emergency_stop: z.object({}),
};
export type LeaseCommand = keyof typeof schemas;
export const LEASE_COMMANDS = Object.keys(schemas) as LeaseCommand[];

export interface ControlHubOptions {
  lease: ControlLease;
  supervisor: Supervisor;
  /** Every client on the main namespace (controller and observers). */
  clients: () => Iterable<ClientSocket>;
  events: BrokerEvents;
  log: Logger;
  /** worker.stop_timeout, in ms: how long the stop() hooks may take. */
  stopTimeoutMs: number;
}

export class ControlHub {
  constructor(private readonly o: ControlHubOptions) {
    o.supervisor.on('project', (listing) => {
      for (const s of o.clients()) s.emit('project', listing);
    });
  }

  /** A client was admitted: it learns the lease and the project; everyone learns the new count or holder. */
  attach(socket: ClientSocket): void {
    const log = this.o.log.child({ socket: socket.id });
    socket.emit('project', this.o.supervisor.listing);
    this.broadcast();
    for (const command of LEASE_COMMANDS) {
      socket.on(command, (...args: unknown[]) => {
        const { payload, ack } = splitArgs(args);
        this.run(socket, command, payload)
          .catch((err: unknown) => errorAck(BrokerError.from(err)))
          .then((response) => {
            // Run even without a callback (a STOP is never refused for a missing one); an error then comes as broker_error.
            reply(socket, ack, response);
          })
          .catch((err: unknown) => log.error({ err, command }, 'lease command handler failed'));
      });
    }
  }

  /** A client left (call on `disconnect`). */
  detach(socket: ClientSocket): void {
    const { role, change } = this.o.lease.leave(socket.id);
    if (change) this.changed(change);
    else if (role) this.broadcast();
  }

  /** A change made at admission (a first controller, a same-clientId replacement): told once the socket is connected. */
  admitted(change: ControlChange): void {
    this.journal(change);
  }

  private async run(socket: ClientSocket, command: LeaseCommand, payload: unknown): Promise<Ack> {
    // No payload is an empty one (`emit('emergency_stop', ack)`).
    const parsed = schemas[command].safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.map(String).join('.') || '(payload)';
      throw new BrokerError('E_INVALID_PAYLOAD', `${field}: ${issue.message}`, { field });
    }
    const lease = this.o.lease;
    switch (command) {
      case 'take_control': {
        const force = (parsed.data as { force?: boolean }).force === true;
        const r = lease.take(socket.id, force);
        if (!r.ok) throw new BrokerError('E_BUSY', `${r.controller ?? 'another client'} holds the control lease; take_control with force: true to take it over`, { controller: r.controller });
        if (r.change) this.changed(r.change);
        const data: TakeControlResult = { controller: holderName(r.holder)!, since: r.holder.since };
        return { status: 'success', message: 'You hold the control lease', data };
      }
      case 'release_control': {
        const change = lease.release(socket.id);
        if (!change) throw new BrokerError('E_NOT_CONTROLLER', 'this client does not hold the control lease', { controller: holderName(lease.current()) });
        this.changed(change);
        const data: ReleaseControlResult = { controller: null };
        return { status: 'success', message: 'Control released; you observe', data };
      }
      case 'emergency_stop':
        return { status: 'success', message: 'Stopped', data: await this.emergencyStop(socket) };
    }
  }

  /** Anyone may stop the robot: the stop() hooks, now, answered with what they stopped. */
  private async emergencyStop(socket: ClientSocket): Promise<EmergencyStopResult> {
    const lease = this.o.lease;
    const who = { clientId: lease.memberOf(socket.id)?.clientId ?? null, role: lease.roleOf(socket.id) ?? 'observer', address: socket.handshake.address };
    try {
      const { stopped } = await this.stopHooks('emergency_stop');
      this.o.events.emit('emergency_stop', { ...who, at: Date.now(), status: 'success', stopped });
      return { stopped };
    } catch (err) {
      const e = BrokerError.from(err);
      this.o.events.emit('emergency_stop', { ...who, at: Date.now(), status: 'error', stopped: [], code: e.code });
      throw e;
    }
  }

  /** The lease changed hands: journal it, tell everyone, and stop the robot if its controller went away. */
  private changed(change: ControlChange): void {
    this.journal(change);
    this.broadcast();
    // The robot must not keep moving with nobody (or somebody else) at the controls; the project stays loaded.
    if (!change.deadman || this.o.supervisor.status().state !== 'ready') return;
    this.stopHooks(`deadman: ${change.reason}`).catch((err: unknown) => this.o.log.warn({ err, reason: change.reason }, 'stop hooks failed'));
  }

  /** The one way the broker runs the stop() hooks for a client (deadman and emergency stop). */
  private async stopHooks(why: string): Promise<{ stopped: string[] }> {
    const r = await this.o.supervisor.call('stop_hooks', {}, { timeoutMs: this.o.stopTimeoutMs + 1000 });
    this.o.log.info({ stopped: r.stopped, why }, 'stop hooks ran');
    return r;
  }

  private journal(change: ControlChange): void {
    this.o.events.emit('control', {
      at: Date.now(),
      reason: change.reason,
      controller: holderName(change.holder),
      previous: holderName(change.previous),
      address: (change.holder ?? change.previous)?.address ?? null,
      observers: this.o.lease.observerCount,
    });
  }

  /** Each client gets the lease with its own role (rare: a change of holder or of the observer count). */
  private broadcast(): void {
    for (const s of this.o.clients()) s.emit('control', this.o.lease.stateFor(s.id));
  }
}
