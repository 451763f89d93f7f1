/**
 * RobotClient's listeners: `on`/`once`/`off` for one event (a robot push, a broker event,
 * a client event), `onAny` for everything the broker sends.
 */
import { EventEmitter } from 'node:events';
import type { PushMeta } from '../ipc/protocol.js';
import type { AnyListener, ClientEvents, KnownEvents, PushListener } from './options.js';

export class RobotListeners {
  private readonly emitter = new EventEmitter();
  private readonly anyListeners = new Set<AnyListener>();

  constructor() {
    // Pushed events fan out to user code; a busy robot may have many listeners per event.
    this.emitter.setMaxListeners(0);
  }

  /**
   * Listen to a pushed robot event (`(data, meta)`: meta.seq, meta.ts, meta.reqId), a broker
   * event (worker_status, control, project, replay_gap, ...) or a client event.
   */
  on<E extends keyof KnownEvents>(event: E, listener: KnownEvents[E]): this;
  on(event: string, listener: PushListener): this;
  on(event: string, listener: (...args: never[]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<E extends keyof KnownEvents>(event: E, listener: KnownEvents[E]): this;
  once(event: string, listener: PushListener): this;
  once(event: string, listener: (...args: never[]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off(event: string, listener: (...args: never[]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /**
   * Listen to everything the broker sends: robot pushes with their meta, and its own events
   * (worker_status, events_shed, replay_gap, ...: meta undefined); not the client's own events.
   */
  onAny(listener: AnyListener): this {
    this.anyListeners.add(listener);
    return this;
  }

  offAny(listener: AnyListener): this {
    this.anyListeners.delete(listener);
    return this;
  }

  /** A packet from the broker: to the onAny listeners, then to the event's own. */
  protected deliver(event: string, data: unknown, meta: PushMeta | undefined): void {
    for (const listener of this.anyListeners) listener(event, data, meta);
    if (meta) this.emitter.emit(event, data, meta);
    else this.emitter.emit(event, data);
  }

  /** One of the client's own events (connect, disconnect, ...): not for onAny listeners. */
  protected emitOwn<E extends keyof ClientEvents>(event: E, ...args: Parameters<ClientEvents[E]>): void {
    this.emitter.emit(event, ...args);
  }
}
