/**
 * What the worker gives robot code. Reference it for editor completion:
 *   /// <reference types="robot-control/robot" />
 */
export {};

declare global {
  /**
   * Send `data` to the connected client as the Socket.IO event `event`.
   * Reserved names (connect, disconnect, callback, worker_status, ...) throw.
   */
  function pushMessage(event: string, data?: unknown): void;
}
