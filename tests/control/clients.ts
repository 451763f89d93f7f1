/** Clients of the control lease for tests: a role in the handshake, and every event recorded from the first packet on. */
import type { Ack, ControlState, ConnectErrorData } from '../../dist/ipc/protocol.js';
import { connectClient, waitFor, type Client } from '../helpers/broker.js';

export interface LeaseClient {
  socket: Client;
  /** Every event received since before the connect, in order. */
  seen: Array<[string, unknown]>;
  /** How many `event`s arrived so far (cheap: polled while a flood arrives). */
  count(event: string): number;
  /** The `control` events so far. */
  controls(): ControlState[];
  /** The latest `control` (waits for the first one). */
  control(): Promise<ControlState>;
  emit<T = unknown>(event: string, payload?: unknown, timeoutMs?: number): Promise<Ack<T>>;
  close(): void;
}

/** A refused connect: Socket.IO's error, with the broker's `data`. */
export type ConnectRefusal = Error & { data?: ConnectErrorData };

export async function connectAs(url: string, auth: { token: string; clientId?: string; role?: unknown }): Promise<LeaseClient> {
  const seen: Array<[string, unknown]> = [];
  const counts = new Map<string, number>();
  const socket = await connectClient(url, auth, (s) =>
    s.onAny((event: string, data: unknown) => {
      seen.push([event, data]);
      counts.set(event, (counts.get(event) ?? 0) + 1);
    }),
  );
  const controls = () => seen.filter(([e]) => e === 'control').map(([, d]) => d as ControlState);
  return {
    socket,
    seen,
    count: (event) => counts.get(event) ?? 0,
    controls,
    control: async () => {
      await waitFor(() => controls().length > 0, 5000, 'a control event');
      return controls().at(-1)!;
    },
    emit: (event, payload = {}, timeoutMs = 10_000) =>
      (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<never>> }).emitWithAck(event, payload),
    close: () => socket.close(),
  };
}
