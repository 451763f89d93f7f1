/**
 * `pushMessage(event, data)`: the global robot code calls to stream events to the
 * client. Each push carries the id of the request whose call caused it, found
 * through AsyncLocalStorage (0 for pushes from timers started outside any call).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BrokerError } from '../ipc/errors.js';
import { MAX_EVENT_NAME, RESERVED_EVENTS, type PushQos } from '../ipc/protocol.js';
import { type PushedEvent } from '../ipc/worker-protocol.js';

/** The request id of the call running now. */
export const requestContext = new AsyncLocalStorage<number>();

export interface PushOptions {
  /** "all" (the default): never dropped. "latest": under backpressure only the newest of this name is kept. */
  qos?: PushQos;
}

export type PushMessage = (event: string, data?: unknown, options?: PushOptions) => void;

/** Check an event name robot code wants to push; throws with a code robot developers can read. */
export function checkEventName(event: unknown): asserts event is string {
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME) {
    throw new BrokerError('E_INVALID_PAYLOAD', `pushMessage: the event name must be a string of 1 to ${MAX_EVENT_NAME} characters`);
  }
  if (RESERVED_EVENTS.has(event)) {
    throw new BrokerError('E_RESERVED_EVENT', `pushMessage: "${event}" is reserved and cannot be pushed`, { event });
  }
}

/** The qos robot code asked for; throws with a code on anything but the two names. */
export function checkQos(options: unknown): PushQos {
  if (options === undefined || options === null) return 'all';
  const qos = typeof options === 'object' ? (options as { qos?: unknown }).qos : options;
  if (qos === undefined || qos === 'all') return 'all';
  if (qos === 'latest') return 'latest';
  throw new BrokerError('E_INVALID_PAYLOAD', 'pushMessage: qos must be "all" (the default) or "latest"', { qos: String(qos).slice(0, 50) });
}

export function makePushMessage(generation: number, publish: (event: PushedEvent) => void): PushMessage {
  return function pushMessage(event: string, data?: unknown, options?: PushOptions): void {
    checkEventName(event);
    const pushed: PushedEvent = { generation, reqId: requestContext.getStore() ?? 0, event, data: data === undefined ? null : data };
    if (options !== undefined && checkQos(options) === 'latest') pushed.qos = 'latest';
    publish(pushed);
  };
}

declare global {
  /** Send `data` to the connected client as the Socket.IO event `event`; `{ qos: "latest" }` for telemetry. */
  var pushMessage: PushMessage;
}
