/** Real ZeroMQ sockets for the command-channel tests, over ipc:// in a temp folder. */
import { join } from 'node:path';
import { Dealer } from 'zeromq';
import { RpcRouter, type RpcRouterOptions } from '../../dist/ipc/rpc-router.js';
import { tempDir } from '../helpers/broker.js';

export const endpoint = (): string => `ipc://${join(tempDir('rc-ipc-'), 'c.sock')}`;

/** The server's RpcRouter, bound, and a raw DEALER (routing id `w1`) connected to it; `closers` closes both. */
export async function routerWithRawWorker(closers: Array<() => void>, onReady: RpcRouterOptions['onReady'], maxInFlight: number): Promise<{ router: RpcRouter; worker: Dealer }> {
  const router = new RpcRouter({ onReady, maxInFlight });
  closers.push(() => router.close());
  const ep = endpoint();
  await router.bind(ep);
  const worker = new Dealer({ routingId: 'w1', linger: 0 });
  closers.push(() => worker.close());
  worker.connect(ep);
  return { router, worker };
}
