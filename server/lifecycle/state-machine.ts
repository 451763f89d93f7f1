/**
 * The lifecycle's state and its one `transition()`: legal moves only (states.ts), each
 * logged as {from, to, reason}; an illegal one is refused and logged as an error, so
 * a late operation cannot move a stopped broker. Every real change is told once, as a
 * `worker_status` (a status identical to the last one told is not told again).
 */
import { EventEmitter, once } from 'node:events';
import type { WorkerStatus } from '../../ipc/protocol.js';
import type { Logger } from '../logger.js';
import { isLegal, wireState, type LifecycleState } from './states.js';

/** A worker's death, as told to the client (`worker_status`), /stats and events.log. */
export interface CrashReport {
  at: number;
  reason: string;
  exit: { code: number | null; signal: string | null };
  stateLost: true;
}

/** What the status shows of the worker that serves or served last. */
export interface Shown {
  generation: number;
  /** Its pid while it serves, else null. */
  pid: number | null;
  restarts: number;
}

export class StateMachine extends EventEmitter<{ status: [WorkerStatus] }> {
  private current: LifecycleState = 'idle';
  private why: string | null = null;
  /** The death the current state reports (`restarting`/`failed` right after a crash), else null. */
  private crash: CrashReport | null = null;
  private told = '';
  private readonly changed = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly log: Logger,
    private readonly shown: () => Shown,
  ) {
    super();
  }

  get state(): LifecycleState {
    return this.current;
  }

  get reason(): string | null {
    return this.why;
  }

  /** Resolves at the next transition. */
  next(): Promise<unknown> {
    return once(this.changed, 'transition');
  }

  status(): WorkerStatus {
    const { generation, pid, restarts } = this.shown();
    const s: WorkerStatus = { state: wireState(this.current), generation, pid: this.current === 'ready' ? pid : null, reason: this.why, restarts };
    if (this.crash) Object.assign(s, { stateLost: true, exit: this.crash.exit });
    return s;
  }

  /** Move to `to` if the table allows it; false (and an error logged) if not. */
  transition(to: LifecycleState, reason: string | null, crash: CrashReport | null = null): boolean {
    const from = this.current;
    if (!isLegal(from, to)) {
      this.log.error({ from, to, reason }, 'illegal worker state change refused');
      return false;
    }
    this.current = to;
    this.why = reason;
    this.crash = crash;
    this.log.info({ from, to, reason, gen: this.shown().generation }, 'worker state');
    this.changed.emit('transition');
    const status = this.status();
    const key = JSON.stringify(status);
    if (key !== this.told) {
      this.told = key;
      this.emit('status', status);
    }
    return true;
  }
}
