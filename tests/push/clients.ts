/** Raw Socket.IO clients for the push-stream tests: any handshake auth, every event with every argument, in order. */
import type { Ack, PushMeta, ReplayGap, ReplayInfo } from '../../dist/ipc/protocol.js';
import { connectClient, waitFor, type Client } from '../helpers/broker.js';

export interface Received {
  event: string;
  data: unknown;
  meta: PushMeta | undefined;
  /** How many arguments the event came with. */
  args: number;
}

export interface StreamClient {
  socket: Client;
  /** Every event, in arrival order (the broker's own included). */
  all: Received[];
  /** The pushed events named `event`. */
  of(event: string): Received[];
  streams(): ReplayInfo[];
  gaps(): ReplayGap[];
  /** The highest seq received so far (0: none). */
  lastSeq(): number;
  emit<T = unknown>(event: string, payload?: unknown, timeoutMs?: number): Promise<Ack<T>>;
  /** Stop reading from the TCP socket (the server's writes back up, as on a slow link), and read again. */
  pause(): void;
  resume(): void;
  close(): void;
}

export type StreamAuth = { token: string; role?: 'controller' | 'observer'; clientId?: string; meta?: boolean; lastSeq?: number; epoch?: string };

export async function openStream(url: string, auth: StreamAuth): Promise<StreamClient> {
  const all: Received[] = [];
  let lastSeq = 0;
  const socket = await connectClient(url, auth, (s) =>
    s.onAny((event: string, ...args: unknown[]) => {
      const meta = args[1] as PushMeta | undefined;
      if (meta && typeof meta.seq === 'number') lastSeq = Math.max(lastSeq, meta.seq);
      all.push({ event, data: args[0], meta, args: args.length });
    }),
  );
  const tcp = () => (socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
  return {
    socket,
    all,
    of: (event) => all.filter((r) => r.event === event),
    streams: () => all.filter((r) => r.event === 'replay_info').map((r) => r.data as ReplayInfo),
    gaps: () => all.filter((r) => r.event === 'replay_gap').map((r) => r.data as ReplayGap),
    lastSeq: () => lastSeq,
    emit: (event, payload = {}, timeoutMs = 20_000) =>
      (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<never>> }).emitWithAck(event, payload),
    pause: () => tcp().pause(),
    resume: () => tcp().resume(),
    close: () => socket.close(),
  };
}

/** Connect once the broker admits it (a controller that just left may not be released yet). */
export async function openWhenFree(url: string, auth: StreamAuth, timeoutMs = 10_000): Promise<StreamClient> {
  let client: StreamClient | undefined;
  await waitFor(
    async () => {
      try {
        client = await openStream(url, auth);
        return true;
      } catch (err) {
        if ((err as Error).message !== 'busy') throw err;
        return false;
      }
    },
    timeoutMs,
    'the broker to admit the client',
  );
  return client!;
}
