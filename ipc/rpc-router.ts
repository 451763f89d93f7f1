/**
 * Server end of the command channel: a bound ROUTER that talks to workers
 * (DEALERs, one routing id per worker generation). Asynchronous request-reply:
 * many calls may be in flight, replies come back in any order, matched by id.
 */
import { Router } from 'zeromq';
import { BrokerError } from './errors.js';
import type { WorkerCalls, WorkerCommand, WorkerReply, WorkerRequest } from './protocol.js';
import { SendQueue, zmqErrorCode } from './send-queue.js';

type Params<K extends WorkerCommand> = WorkerCalls[K]['params'];

interface Pending {
  worker: string;
  resolve: (result: unknown) => void;
  reject: (err: BrokerError) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface RequestOptions {
  /** Answer E_TIMEOUT after this many ms (undefined: wait for the reply or the worker's death). */
  timeoutMs?: number;
  /** Binary frames sent after the JSON header (the ZIP of an update). */
  frames?: Buffer[];
  /** Pick the request id (so a caller can log it before sending). */
  id?: number;
  /** Told the request's size in bytes, and how long it took to encode, as it is queued (the heartbeat allows for big frames). */
  onSend?: (bytes: number, encodeMs: number) => void;
}

export interface RpcRouterOptions {
  /**
   * Client calls the server lets be in flight at once (worker.max_in_flight). Each
   * worker's send pipe holds that many requests plus CONTROL_HEADROOM, so a busy
   * worker's pipe never fills while calls stay under the limit.
   */
  maxInFlight: number;
}

/** Room in a worker's send pipe for the supervisor's own requests (ping, stop hooks, shutdown, update). */
export const CONTROL_HEADROOM = 1000;

export class RpcRouter {
  /**
   * With `mandatory`, a request to a worker whose pipe is full fails with EAGAIN at
   * once rather than waiting: a ROUTER counts as writable while *any* peer's pipe has
   * room (the standby spare's always has), so zeromq.js never waits for this one's.
   * Hence the high-water mark is sized from the in-flight limit (libzmq's default, 1000
   * messages, gave spurious failures past ~2,000 calls queued to a busy worker).
   */
  private readonly socket: Router;
  private readonly queue: SendQueue;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    /** A worker said it is ready: its routing id and the message. */
    private readonly onReady: (worker: string, msg: Extract<WorkerReply, { type: 'ready' }>) => void,
    private readonly onBadMessage: (err: unknown) => void,
    options: RpcRouterOptions,
  ) {
    this.socket = new Router({ mandatory: true, linger: 0, sendHighWaterMark: options.maxInFlight + CONTROL_HEADROOM });
    this.queue = new SendQueue(this.socket);
  }

  async bind(endpoint: string): Promise<void> {
    await this.socket.bind(endpoint);
    void this.receiveLoop();
  }

  /** A fresh request id, for callers that log the id before they call `request`. */
  allocateId(): number {
    return this.nextId++;
  }

  request<K extends WorkerCommand>(
    worker: string,
    type: K,
    params: Params<K>,
    options: RequestOptions = {},
  ): Promise<WorkerCalls[K]['result']> {
    const id = options.id ?? this.allocateId();
    const message = { ...params, id, type } as WorkerRequest<K>;
    return new Promise((resolve, reject) => {
      const entry: Pending = { worker, resolve: resolve as (r: unknown) => void, reject, timer: undefined };
      if (options.timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new BrokerError('E_TIMEOUT', `${type} did not answer within ${options.timeoutMs} ms`, { timeoutMs: options.timeoutMs }));
        }, options.timeoutMs);
      }
      this.pending.set(id, entry);
      const encodeStart = performance.now();
      const body = Buffer.from(JSON.stringify(message));
      options.onSend?.(body.length, performance.now() - encodeStart);
      const frames: Buffer[] = [Buffer.from(worker), body, ...(options.frames ?? [])];
      this.queue.post(frames, (err) => {
        if (err !== undefined) this.settle(id, (p) => p.reject(sendError(err, worker, this.socket.sendHighWaterMark)));
      });
    });
  }

  /** Ids of the calls in flight to `worker`. */
  private pendingFor(worker: string): number[] {
    const ids: number[] = [];
    for (const [id, p] of this.pending) if (p.worker === worker) ids.push(id);
    return ids;
  }

  /** Answer every call in flight to `worker` with `err` (the worker died): at once, not at the timeout. */
  failAll(worker: string, err: BrokerError): number {
    let n = 0;
    for (const id of this.pendingFor(worker)) {
      this.settle(id, (p) => p.reject(err));
      n++;
    }
    return n;
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.pending.keys()]) {
      this.settle(id, (p) => p.reject(new BrokerError('E_SHUTTING_DOWN', 'the broker is stopping')));
    }
    this.socket.close();
  }

  private settle(id: number, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    fn(p);
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, body] of this.socket) {
        if (!identity || !body) continue;
        let msg: WorkerReply;
        try {
          msg = JSON.parse(body.toString()) as WorkerReply;
        } catch (err) {
          this.onBadMessage(err);
          continue;
        }
        if (msg.type === 'ready') {
          this.onReady(identity.toString(), msg);
        } else if (msg.ok) {
          const result = msg.result;
          this.settle(msg.id, (p) => p.resolve(result));
        } else {
          const error = BrokerError.fromWire(msg.message, msg.error);
          this.settle(msg.id, (p) => p.reject(error));
        }
      }
    } catch (err) {
      if (!this.closed) this.onBadMessage(err);
    }
  }
}

/** A failed send as the caller sees it: a full pipe is load (E_OVERLOADED), anything else an unreachable worker. */
function sendError(err: unknown, worker: string, queued: number): BrokerError {
  if (zmqErrorCode(err) === 'EAGAIN') {
    return new BrokerError('E_OVERLOADED', `worker ${worker} has ${queued} requests waiting already`, { limit: queued }, { cause: err });
  }
  return new BrokerError('E_WORKER_UNAVAILABLE', `could not reach worker ${worker} (${zmqErrorCode(err) ?? String(err)})`, {}, { cause: err });
}
