/**
 * What the worker gives robot code (JavaScript and TypeScript projects), for editor
 * completion and type checking. A project references it in one of two ways:
 *
 *   // main.ts, first line
 *   /// <reference types="robot-control/robot" />
 *
 *   // or tsconfig.json
 *   { "compilerOptions": { "types": ["node", "robot-control/robot"] } }
 *
 * (with robot-control installed as a dev dependency, or this file copied into the project).
 * Type errors never stop a project from loading: the worker strips types without checking.
 */

declare global {
  /**
   * Send `data` (anything JSON can carry) to the connected client as the Socket.IO event
   * `event`. Pushes made while a call runs carry that call's request id. Returns at once.
   * Every event gets a sequence number and is kept in the broker's replay ring for a while
   * (`replay.*`), so a client that reconnects gets what it missed.
   * `options.qos`: `"all"` (the default) is never dropped; `"latest"` (telemetry) lets a
   * client that cannot keep up get only the newest event of this name.
   * @throws BrokerError with code `E_RESERVED_EVENT` for a reserved name
   *   (connect, disconnect, callback, worker_status, ...) and `E_INVALID_PAYLOAD` for a
   *   name that is not a string of 1 to 200 characters or a qos other than the two. Uncaught in a method, it fails
   *   the call with that code.
   */
  function pushMessage(event: string, data?: unknown, options?: { qos?: 'all' | 'latest' }): void;

  /** The robot-side types, usable without an import (`RobotControl.Stoppable`). */
  namespace RobotControl {
    /**
     * The stop() convention. When the client disconnects, the worker calls `stop()` on
     * every exported object that has one, then the module-level `export function stop()`,
     * each within `worker.stop_timeout`. The project stays loaded: a reconnecting client
     * goes on at once. Halt motion, clear timers, end loops; a returned Promise is awaited.
     */
    interface Stoppable {
      stop(): void | Promise<void>;
    }

    /** The global `pushMessage`. */
    type PushMessage = (event: string, data?: unknown, options?: { qos?: 'all' | 'latest' }) => void;

    /** Event names robot code may never push: Socket.IO's own, the seed's `callback`, the broker's. */
    type ReservedEvent =
      | 'connect' | 'connect_error' | 'disconnect' | 'disconnecting' | 'error' | 'message'
      | 'newListener' | 'removeListener' | 'ping' | 'pong' | 'reconnect' | 'reconnect_attempt'
      | 'reconnect_error' | 'reconnect_failed' | 'callback'
      | 'worker_status' | 'broker_error' | 'events_shed' | 'robot_log' | 'update' | 'start' | 'process'
      | 'control' | 'project' | 'take_control' | 'release_control' | 'emergency_stop'
      | 'replay_info' | 'replay_gap' | 'subscribe' | 'unsubscribe';
  }
}

/** The same types for `import type { Stoppable } from 'robot-control/robot'`. */
export type Stoppable = RobotControl.Stoppable;
export type PushMessage = RobotControl.PushMessage;
export type ReservedEvent = RobotControl.ReservedEvent;
