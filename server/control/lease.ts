/**
 * The control lease (docs/CONTROL.md): at most one controller, any number of observers
 * up to a limit. Pure state, no sockets: admission, the lease commands and the
 * disconnect path all change it here, and each change says whether the controller went
 * away (the deadman: the caller then runs the robot's stop() hooks once).
 */
import type { ClientRole, ControlState } from '../../ipc/protocol.js';

/** A connected client on the main namespace. */
export interface Member {
  socketId: string;
  /** What it sent as `auth.clientId` (null: nothing usable). */
  clientId: string | null;
  address: string;
}

/** The controller: the one member that may send update/start/process. */
export interface Holder extends Member {
  /** When it took the lease, ms since the epoch. */
  since: number;
}

/** Why the lease changed hands (events.log `control_changed`, /stats). */
export type ControlReason = 'connected' | 'replaced' | 'taken' | 'forced' | 'released' | 'disconnected';

/** One change of holder: who had it, who has it, and whether the robot must be stopped. */
export interface ControlChange {
  reason: ControlReason;
  previous: Holder | null;
  holder: Holder | null;
  /** A controller went away (disconnect, release, forced takeover): run the stop() hooks once. */
  deadman: boolean;
}

/** How a holder is named to clients: its clientId, or "anonymous". */
export function holderName(h: Holder | null): string | null {
  return h ? (h.clientId ?? 'anonymous') : null;
}

export type Admission = { ok: true; change: ControlChange | null } | { ok: false; controller: string | null; observers: number; limit?: number };
export type TakeOutcome = { ok: true; holder: Holder; change: ControlChange | null } | { ok: false; controller: string | null };

export class ControlLease {
  private holder: Holder | null = null;
  private readonly observers = new Map<string, Member>();

  constructor(
    /** websocket.max_observers: observers admitted at once (a demoted controller may exceed it). */
    readonly maxObservers: number,
  ) {}

  current(): Holder | null {
    return this.holder;
  }

  get observerCount(): number {
    return this.observers.size;
  }

  roleOf(socketId: string): ClientRole | null {
    if (this.holder?.socketId === socketId) return 'controller';
    return this.observers.has(socketId) ? 'observer' : null;
  }

  memberOf(socketId: string): Member | null {
    return this.holder?.socketId === socketId ? this.holder : (this.observers.get(socketId) ?? null);
  }

  isController(socketId: string): boolean {
    return this.holder?.socketId === socketId;
  }

  /** The lease as `socketId` sees it (the `control` event). */
  stateFor(socketId: string): ControlState {
    const h = this.holder;
    return { controller: holderName(h), since: h?.since ?? null, observers: this.observers.size, role: this.isController(socketId) ? 'controller' : 'observer' };
  }

  /**
   * Admit a connecting controller: when the lease is free, or when it has the holder's
   * clientId (a reloaded tab replacing its stale connection: the same client, no deadman).
   * Check and claim in one synchronous step, so a connect storm admits exactly one.
   */
  admitController(m: Member, now = Date.now()): Admission {
    const held = this.holder;
    if (held && !(m.clientId && held.clientId === m.clientId)) return { ok: false, controller: holderName(held), observers: this.observers.size };
    this.holder = { ...m, since: now };
    return { ok: true, change: { reason: held ? 'replaced' : 'connected', previous: held, holder: this.holder, deadman: false } };
  }

  admitObserver(m: Member): Admission {
    if (this.observers.size >= this.maxObservers) return { ok: false, controller: holderName(this.holder), observers: this.observers.size, limit: this.maxObservers };
    this.observers.set(m.socketId, m);
    return { ok: true, change: null };
  }

  /** `take_control`: free lease, own lease (a no-op) or `force` succeed; a forced holder becomes an observer. */
  take(socketId: string, force: boolean, now = Date.now()): TakeOutcome {
    const held = this.holder;
    if (held?.socketId === socketId) return { ok: true, holder: held, change: null };
    const me = this.observers.get(socketId);
    if (!me) return { ok: false, controller: holderName(held) };
    if (held && !force) return { ok: false, controller: holderName(held) };
    this.observers.delete(socketId);
    if (held) this.observers.set(held.socketId, { socketId: held.socketId, clientId: held.clientId, address: held.address });
    this.holder = { ...me, since: now };
    return { ok: true, holder: this.holder, change: { reason: held ? 'forced' : 'taken', previous: held, holder: this.holder, deadman: held !== null } };
  }

  /** `release_control`: the holder becomes an observer. Null: `socketId` does not hold the lease. */
  release(socketId: string): ControlChange | null {
    const held = this.holder;
    if (held?.socketId !== socketId) return null;
    this.holder = null;
    this.observers.set(socketId, { socketId, clientId: held.clientId, address: held.address });
    return { reason: 'released', previous: held, holder: null, deadman: true };
  }

  /** A socket disconnected. A change (with the deadman) only when it held the lease; a replaced holder's old socket changes nothing. */
  leave(socketId: string): { role: ClientRole | null; change: ControlChange | null } {
    if (this.observers.delete(socketId)) return { role: 'observer', change: null };
    const held = this.holder;
    if (held?.socketId !== socketId) return { role: null, change: null };
    this.holder = null;
    return { role: 'controller', change: { reason: 'disconnected', previous: held, holder: null, deadman: true } };
  }
}
