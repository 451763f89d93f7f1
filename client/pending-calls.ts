/**
 * The client's calls between being made and being answered. A call is *queued*
 * until it goes out on a live connection, then *sent*. Each has one timer, from
 * the moment it was made. A queued call can wait for the next connection; a sent
 * call whose connection drops is failed, never resent (its outcome is unknown).
 */
import { BrokerError } from '../ipc/errors.js';
import type { Ack, ClientToServerEvents } from '../ipc/protocol.js';
import { RobotClientError, type RobotError } from './errors.js';

export type Command = keyof ClientToServerEvents;

export interface PendingCall {
  /** For messages: "sport_client.Move", "update (1234 bytes)". */
  label: string;
  event: Command;
  payload: unknown;
  sent: boolean;
}

interface Entry extends PendingCall {
  resolve(value: unknown): void;
  reject(error: RobotError): void;
  timer: NodeJS.Timeout | undefined;
}

export class PendingCalls {
  private readonly entries = new Set<Entry>();

  /** Track a new (queued) call; `timeoutMs` 0 means no timeout. */
  add(call: Omit<PendingCall, 'sent'>, timeoutMs: number): { entry: PendingCall; answer: Promise<unknown> } {
    let entry!: Entry;
    const answer = new Promise<unknown>((resolve, reject) => {
      entry = { ...call, sent: false, resolve, reject, timer: undefined };
    });
    if (timeoutMs > 0 && timeoutMs < 2 ** 31) {
      entry.timer = setTimeout(() => {
        const where = entry.sent ? 'sent, no answer' : 'still queued: not connected';
        this.fail(entry, new RobotClientError('E_CALL_TIMEOUT', `${call.label}: no answer within ${timeoutMs} ms (${where})`, { timeoutMs, sent: entry.sent }));
      }, timeoutMs);
    }
    this.entries.add(entry);
    return { entry, answer };
  }

  /** The queued calls, oldest first. */
  queued(): PendingCall[] {
    return [...this.entries].filter((e) => !e.sent);
  }

  /** Turn an acknowledgement into the call's value, or a BrokerError with the broker's code. */
  settle(call: PendingCall, response: unknown): void {
    const entry = call as Entry;
    if (!this.entries.delete(entry)) return; // timed out or failed already
    clearTimeout(entry.timer);
    const ack = response as Partial<Ack> | null;
    if (ack?.status === 'success') entry.resolve(ack.data);
    else if (ack?.status === 'error' && typeof ack.data === 'object' && ack.data !== null) {
      entry.reject(BrokerError.fromWire(String(ack.message ?? ''), ack.data));
    } else entry.reject(new BrokerError('E_INTERNAL', `${call.label}: malformed acknowledgement`, { ack: response }));
  }

  /** The connection the sent calls went out on is gone: their answers will never come. */
  failSent(reason: string): void {
    for (const entry of [...this.entries]) {
      if (!entry.sent) continue;
      this.fail(
        entry,
        new RobotClientError('E_DISCONNECTED', `${entry.label}: the connection dropped (${reason}) before the answer; whether it ran is unknown`, { reason }),
      );
    }
  }

  failAll(error: RobotError): void {
    for (const entry of [...this.entries]) this.fail(entry, error);
  }

  private fail(entry: Entry, error: RobotError): void {
    if (!this.entries.delete(entry)) return;
    clearTimeout(entry.timer);
    entry.reject(error);
  }
}
