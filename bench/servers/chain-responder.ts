/**
 * Floor (b), the far end: a child process with a DEALER that answers at once and
 * an XPUB (noDrop, like the broker's worker) for floods. It says ready once the
 * server's subscription has arrived, as the broker's worker does.
 */
import { Dealer, XPublisher } from 'zeromq';
import { fifoSender } from './zmq-send.js';
import { FLOOD_EVENT } from './wire.js';

const [commandEndpoint, callbackEndpoint] = process.argv.slice(2) as [string, string];
const dealer = new Dealer({ routingId: 'responder', linger: 1000 });
const publisher = new XPublisher({ noDrop: true, sendHighWaterMark: 100_000, linger: 2000 });
const reply = fifoSender(dealer);
const publish = fifoSender(publisher);

publisher.connect(callbackEndpoint);
dealer.connect(commandEndpoint);
for (;;) {
  const [frame] = await publisher.receive();
  if (frame?.[0] === 1) break;
}
reply([JSON.stringify({ ready: process.pid })]);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

interface Request {
  id: number;
  params: { method: string; args?: unknown[] };
}
for await (const [body] of dealer) {
  const { id, params } = JSON.parse(String(body)) as Request;
  const arg = params.args?.[0];
  if (params.method === 'sleep') {
    setTimeout(() => reply([JSON.stringify({ id, result: null })]), Number(arg));
  } else if (params.method === 'flood') {
    const n = Number(arg);
    for (let i = 0; i < n; i++) publish([JSON.stringify({ event: FLOOD_EVENT, data: i })]);
    reply([JSON.stringify({ id, result: n })]);
  } else {
    reply([JSON.stringify({ id, result: arg ?? null })]);
  }
}
