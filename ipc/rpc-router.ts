/**
 * Server end of the command channel: a bound ROUTER that talks to workers
 * (DEALERs, one routing id per worker generation). Asynchronous request-reply:
 * many calls may be in flight, replies come back in any order, matched by id.
 */
import type * as zmq from 'zeromq';
import { requireCjs } from './cjs.js';
import { BrokerError } from './errors.js';
import { bounded, type Rejection } from './frame-check.js';
import { decodeFrame, resultSchemas, workerReplySchema } from './frames.js';
import type { WorkerCalls, WorkerCommand, WorkerReply, WorkerRequest } from './worker-protocol.js';
import { PartBatch } from './part-batch.js';
import { messageOf, receiveEach, WAKE_UP_MS } from './receive-loop.js';
import { SendQueue, zmqErrorCode } from './send-queue.js';

const { Router } = requireCjs('zeromq') as typeof zmq;

type Params<K extends WorkerCommand> = WorkerCalls[K]['params'];

interface Pending {
  worker: string;
  /** The command, whose result schema the reply must fit. */
  type: WorkerCommand;
  resolve: (result: unknown) => void;
  reject: (err: BrokerError) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface RequestOptions {
  /** Answer E_TIMEOUT after this many ms (undefined: wait for the reply or the worker's death). */
  timeoutMs?: number;
  /** Pick the request id (so a caller can log it before sending). */
  id?: number;
  /** Told the request's size in bytes, and how long it took to encode, as it is queued (the heartbeat allows for big frames). */
  onSend?: (bytes: number, encodeMs: number) => void;
}

export interface RpcRouterOptions {
  /** A well-formed `ready` arrived: its routing id and the message. False: refused (not from a process the server spawned). */
  onReady: (worker: string, msg: Extract<WorkerReply, { type: 'ready' }>) => boolean;
  /** A frame was dropped (never a reason to stop receiving). */
  onReject?: (rejection: Rejection) => void;
  /** The socket itself failed. */
  onError?: (err: unknown) => void;
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
   * A send never waits (`sendTimeout: 0`): with `mandatory`, a request to a worker whose
   * pipe is full fails with EAGAIN and one to a worker that has gone with EHOSTUNREACH,
   * at once. Hence the high-water mark is sized from the in-flight limit (libzmq's
   * default, 1000 messages, gave spurious failures past ~2,000 calls queued to a busy
   * worker). A send that waited for room (a ping to a worker that had just died, with no
   * other peer) went out from zeromq.js's poll callback, which can take the wake-up of
   * a message arriving then: a new worker's `ready` went unheard (receive-loop.ts).
   */
  private readonly socket: zmq.Router;
  /** Requests to a worker queued in one turn go as one message (part-batch.ts). */
  private readonly batch: PartBatch;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly options: RpcRouterOptions,
  ) {
    this.socket = new Router({
      mandatory: true,
      linger: 0,
      sendTimeout: 0,
      receiveTimeout: WAKE_UP_MS,
      sendHighWaterMark: options.maxInFlight + CONTROL_HEADROOM,
    });
    this.batch = new PartBatch(new SendQueue(this.socket), (worker) => [Buffer.from(worker)]);
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
      const entry: Pending = { worker, type, resolve: resolve as (r: unknown) => void, reject, timer: undefined };
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
      this.batch.add(worker, body, (err) => {
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

  private receiveLoop(): Promise<void> {
    return receiveEach(this.socket, {
      onMessage: (frames) => this.accept(frames),
      onHandlerError: (err, frames) => this.reject('handler_error', bounded(messageOf(err)), frames[0]),
      onSocketError: (err) => this.options.onError?.(err),
    });
  }

  /** One message from a peer: [routing id, JSON reply, ...more replies (part-batch.ts)]. */
  private accept(frames: Buffer[]): void {
    const [identity, ...bodies] = frames;
    if (!identity) return;
    if (bodies.length === 0) return this.reject('bad_frame', 'no reply in the message', identity);
    for (const body of bodies) {
      try {
        this.acceptOne(identity, body);
      } catch (err) {
        this.reject('handler_error', bounded(messageOf(err)), identity); // and on with the next reply
      }
    }
  }

  private acceptOne(identity: Buffer, body: Buffer): void {
    const decoded = decodeFrame(workerReplySchema, body);
    if (!decoded.ok) return this.reject('bad_frame', decoded.detail, identity);
    const msg = decoded.value;
    const worker = identity.toString();
    if (msg.type === 'ready') {
      if (!this.options.onReady(worker, msg)) this.reject('ready_refused', `ready for generation ${msg.generation}`, identity);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return; // late: the call timed out or its worker was given up on
    if (p.worker !== worker) return this.reject('wrong_worker', `reply to request ${msg.id}, which was sent to ${bounded(p.worker)}`, identity);
    if (!msg.ok) {
      const error = BrokerError.fromWire(msg.message, msg.error);
      return this.settle(msg.id, (q) => q.reject(error));
    }
    const result = resultSchemas[p.type].safeParse(msg.result);
    if (!result.success) {
      this.reject('bad_result', `${p.type} result: ${bounded(result.error.issues[0]?.message ?? 'does not match')}`, identity);
      const err = new BrokerError('E_INTERNAL', `the worker answered ${p.type} with a malformed result`);
      return this.settle(msg.id, (q) => q.reject(err));
    }
    this.settle(msg.id, (q) => q.resolve(result.data));
  }

  private reject(reason: Rejection['reason'], detail: string, identity: Buffer | undefined): void {
    this.options.onReject?.({ channel: 'command', reason, detail, ...(identity ? { peer: bounded(identity.toString('utf8'), 64) } : {}) });
  }
}

/** A failed send as the caller sees it: a full pipe is load (E_OVERLOADED), anything else an unreachable worker. */
function sendError(err: unknown, worker: string, queued: number): BrokerError {
  if (zmqErrorCode(err) === 'EAGAIN') {
    return new BrokerError('E_OVERLOADED', `worker ${worker} has ${queued} requests waiting already`, { limit: queued }, { cause: err });
  }
  return new BrokerError('E_WORKER_UNAVAILABLE', `could not reach worker ${worker} (${zmqErrorCode(err) ?? String(err)})`, {}, { cause: err });
}
