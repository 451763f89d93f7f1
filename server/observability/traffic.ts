/**
 * Messages and bytes in and out, and the Socket.IO heartbeat, counted at the
 * engine.io packet level: one listener pair per connection and a few additions per
 * packet, nothing per event name. Monitor connections are counted apart from the
 * controlling client's, so watching does not inflate the client's figures.
 *
 * The heartbeat: engine.io (protocol v4) sends `ping` every pingInterval and the
 * client answers `pong`; the time between the two is the client's round trip.
 */
import type { Server } from 'socket.io';

export interface TrafficTotals {
  /** Socket.IO packets (events, acks, binary attachments) received. */
  messagesIn: number;
  messagesOut: number;
  /** Payload bytes of every engine.io packet, heartbeats included. */
  bytesIn: number;
  bytesOut: number;
}

export interface ConnHeartbeat {
  /** Last ping -> pong round trip, ms; null until the first pong. */
  rttMs: number | null;
  /** When the last pong came back. */
  lastPongAt: number | null;
  /** When anything last came from this connection. */
  lastSeenAt: number | null;
}

interface EnginePacket {
  type: string;
  data?: unknown;
}
/** The part of an engine.io socket we listen to (engine.io's own types are not a dependency of ours). */
interface EngineConn {
  on(event: 'packet' | 'packetCreate', listener: (packet: EnginePacket) => void): void;
}

interface ConnMeter extends ConnHeartbeat {
  /** Unknown until a namespace is joined: counted as the client's meanwhile. */
  peer: Peer | null;
  totals: TrafficTotals;
  pingSentAt: number;
}

export type Peer = 'client' | 'monitor';

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

const zero = (): TrafficTotals => ({ messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 });

export class TrafficMeter {
  readonly totals: Record<Peer, TrafficTotals> = { client: zero(), monitor: zero() };
  private readonly conns = new WeakMap<object, ConnMeter>();
  private readonly engine: { on(e: 'connection', fn: (conn: EngineConn) => void): void; off(e: 'connection', fn: (conn: EngineConn) => void): void };

  constructor(io: Server) {
    this.engine = io.engine as unknown as TrafficMeter['engine'];
    this.engine.on('connection', this.onConnection);
  }

  private readonly onConnection = (conn: EngineConn): void => {
    const m: ConnMeter = { peer: null, totals: this.totals.client, pingSentAt: 0, rttMs: null, lastPongAt: null, lastSeenAt: null };
    this.conns.set(conn, m);
    conn.on('packet', (p) => {
      const t = m.totals;
      t.bytesIn += sizeOf(p.data);
      const now = Date.now();
      m.lastSeenAt = now;
      if (p.type === 'message') t.messagesIn++;
      else if (p.type === 'pong' && m.pingSentAt > 0) {
        m.rttMs = Math.round((performance.now() - m.pingSentAt) * 1000) / 1000;
        m.lastPongAt = now;
        m.pingSentAt = 0;
      }
    });
    conn.on('packetCreate', (p) => {
      const t = m.totals;
      t.bytesOut += sizeOf(p.data);
      if (p.type === 'message') t.messagesOut++;
      else if (p.type === 'ping') m.pingSentAt = performance.now();
    });
  };

  /**
   * Whose traffic a connection carries. A client multiplexing a monitor on its
   * own connection stays a client: once a connection has hosted the main
   * namespace, it is the client's.
   */
  setPeer(conn: object, peer: Peer): void {
    const m = this.conns.get(conn);
    if (!m || m.peer === 'client') return;
    m.peer = peer;
    m.totals = this.totals[peer];
  }

  heartbeatOf(conn: object | undefined): ConnHeartbeat | null {
    const m = conn && this.conns.get(conn);
    return m ? { rttMs: m.rttMs, lastPongAt: m.lastPongAt, lastSeenAt: m.lastSeenAt } : null;
  }

  close(): void {
    this.engine.off('connection', this.onConnection);
  }
}
