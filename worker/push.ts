/**
 * `pushMessage(event, data)`: the global robot code calls to stream events to the
 * client. Each push carries the id of the request whose call caused it, found
 * through AsyncLocalStorage (0 for pushes from timers started outside any call).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BrokerError } from '../ipc/errors.js';
import { MAX_EVENT_NAME, RESERVED_EVENTS } from '../ipc/protocol.js';
import { type PushedEvent } from '../ipc/worker-protocol.js';

/** The request id of the call running now. */
export const requestContext = new AsyncLocalStorage<number>();

export type PushMessage = (event: string, data?: unknown) => void;

/** Check an event name robot code wants to push; throws with a code robot developers can read. */
export function checkEventName(event: unknown): asserts event is string {
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME) {
    throw new BrokerError('E_INVALID_PAYLOAD', `pushMessage: the event name must be a string of 1 to ${MAX_EVENT_NAME} characters`);
  }
  if (RESERVED_EVENTS.has(event)) {
    throw new BrokerError('E_RESERVED_EVENT', `pushMessage: "${event}" is reserved and cannot be pushed`, { event });
  }
}

export function makePushMessage(generation: number, publish: (event: PushedEvent) => void): PushMessage {
  return function pushMessage(event: string, data?: unknown): void {
    checkEventName(event);
    publish({ generation, reqId: requestContext.getStore() ?? 0, event, data: data === undefined ? null : data });
  };
}

declare global {
  /** Send `data` to the connected client as the Socket.IO event `event`. */
  var pushMessage: PushMessage;
}
