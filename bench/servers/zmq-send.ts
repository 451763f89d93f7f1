/**
 * The least a correct zeromq.js sender needs: zeromq.js allows one pending send per
 * socket, so sends wait in a FIFO (an array with a head index, no promise per send);
 * EAGAIN (a noDrop publisher at its high-water mark) is retried after 1 ms.
 */
type Frames = Array<string | Buffer>;
interface Sendable {
  send(frames: Frames): Promise<void>;
}

export function fifoSender(socket: Sendable): (frames: Frames) => void {
  let queue: Frames[] = [];
  let head = 0;
  let draining = false;
  const drain = async () => {
    draining = true;
    while (head < queue.length) {
      const frames = queue[head]!;
      queue[head++] = [];
      for (;;) {
        try {
          await socket.send(frames);
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== 'EAGAIN') {
            process.stderr.write(`bench floor: send failed: ${String(err)}\n`);
            break;
          }
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    }
    queue = [];
    head = 0;
    draining = false;
  };
  return (frames) => {
    queue.push(frames);
    if (!draining) void drain();
  };
}
