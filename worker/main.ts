/**
 * Worker process entry. Started by the server (server/worker-process.ts), in its
 * sandbox, with its config, routing id and ready secret on a private pipe (fd 3; never
 * the environment or argv). Reports `ready` only once the server's subscription has
 * reached its publisher, so no pushed event can be lost to a slow join.
 */
import { hello } from './boot.js'; // first: it reads the hello and starts the watchdog before the rest loads
import { RpcDealer } from '../ipc/rpc-dealer.js';
import { EventPublisher } from '../ipc/publisher.js';
import { WORKER_EXIT } from '../ipc/worker-protocol.js';
import { createWorkerLogger } from './logger.js';
import { makePushMessage } from './push.js';
import { Worker } from './worker.js';

const { config, routingId, secret } = hello;
/** How long a ready worker sits without a project before it rehearses a load. */
const REHEARSE_AFTER_MS = 100;

const log = createWorkerLogger(config.logLevel, config.generation);

function die(reason: string, err: unknown, code: number): never {
  log.fatal({ err, exitReason: reason }, reason);
  process.exit(code);
}
process.on('uncaughtException', (err) => die('uncaught exception', err, WORKER_EXIT.uncaught));
process.on('unhandledRejection', (err) => die('unhandled rejection', err, WORKER_EXIT.uncaught));

const publisher = new EventPublisher((err) => log.error({ err }, 'publish failed'));
globalThis.pushMessage = makePushMessage(config.generation, (event) => publisher.publish(event));

let dealer: RpcDealer;
const worker = new Worker(log, config.stopTimeoutMs, () => {
  // Let the shutdown reply leave before closing (the DEALER lingers to flush).
  setImmediate(() => {
    dealer.close();
    publisher.close();
    process.exit(0);
  });
}, config);
dealer = new RpcDealer(
  routingId,
  (req) => worker.handle(req),
  (err) => log.error({ err }, 'command channel error'),
  (r) => log.warn({ reason: r.reason, detail: r.detail }, 'request refused'),
);

publisher.connect(config.callbackEndpoint);
dealer.connect(config.commandEndpoint);
await publisher.subscribed();
await dealer.send({ type: 'ready', generation: config.generation, pid: process.pid, secret });
log.info('worker ready');
// A spare not taken within REHEARSE_AFTER_MS rehearses a load (Worker.rehearse).
setTimeout(() => worker.rehearse(), REHEARSE_AFTER_MS).unref();
