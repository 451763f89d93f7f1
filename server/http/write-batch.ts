/**
 * One `writev` per batch of packets, not per packet. engine.io hands a websocket
 * transport every packet queued while the previous write was in flight at once
 * (`flush`), and ws writes each as a frame of its own: a syscall (and a wake-up of the
 * client) per pushed event. Corking the TCP socket for that hand-over sends the batch
 * in one write; it is uncorked on the next tick, whatever happens in between.
 *
 * This reaches into engine.io's WebSocket transport (`socket`, the ws WebSocket) and ws
 * (`_socket`, the net.Socket), checked at run time: where they are not, nothing is corked.
 */
import type { Socket } from 'socket.io';

type EngineConnection = Socket['conn'];
interface Corkable {
  cork(): void;
  uncork(): void;
}

function tcpSocket(conn: EngineConnection): Corkable | null {
  const transport = conn.transport as unknown as { name?: string; socket?: { _socket?: Partial<Corkable> } };
  if (transport.name !== 'websocket') return null;
  const s = transport.socket?._socket;
  return s && typeof s.cork === 'function' && typeof s.uncork === 'function' ? (s as Corkable) : null;
}

export function batchWrites(conn: EngineConnection): void {
  conn.on('flush', (packets: unknown[]) => {
    if (packets.length < 2) return;
    const s = tcpSocket(conn);
    if (!s) return;
    s.cork();
    process.nextTick(() => s.uncork());
  });
}
