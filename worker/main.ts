/**
 * Worker process entry. Started by the server's supervisor with its config in
 * ROBOT_CONTROL_WORKER (JSON). Reports `ready` only once the server's subscription
 * has reached its publisher, so no pushed event can be lost to a slow join.
 */
import { RpcDealer } from '../ipc/rpc-dealer.js';
import { EventPublisher } from '../ipc/publisher.js';
import { WORKER_EXIT, workerRoutingId, type WorkerConfig } from '../ipc/protocol.js';
import { captureConsole, createWorkerLogger } from './logger.js';
import { makePushMessage } from './push.js';
import { Worker } from './worker.js';

const config = JSON.parse(process.env.ROBOT_CONTROL_WORKER ?? 'null') as WorkerConfig | null;
if (!config) {
  process.stderr.write('worker: ROBOT_CONTROL_WORKER is not set; the worker is started by the server\n');
  process.exit(WORKER_EXIT.badConfig);
}
delete process.env.ROBOT_CONTROL_WORKER;

const log = createWorkerLogger(config.logLevel, config.generation);
captureConsole(log);

function die(reason: string, err: unknown, code: number): never {
  log.fatal({ err, exitReason: reason }, reason);
  process.exit(code);
}
process.on('uncaughtException', (err) => die('uncaught exception', err, WORKER_EXIT.uncaught));
process.on('unhandledRejection', (err) => die('unhandled rejection', err, WORKER_EXIT.uncaught));
// The server holds our stdin; when it closes, the server is gone (even by SIGKILL): exit.
process.stdin.on('end', () => die('server gone', null, WORKER_EXIT.serverGone));
process.stdin.on('error', () => die('server gone', null, WORKER_EXIT.serverGone));
process.stdin.resume();

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
dealer = new RpcDealer(workerRoutingId(config.generation), (req, frames) => worker.handle(req, frames), (err) =>
  log.error({ err }, 'command channel error'),
);

publisher.connect(config.callbackEndpoint);
dealer.connect(config.commandEndpoint);
await publisher.subscribed();
await dealer.send({ type: 'ready', generation: config.generation, pid: process.pid });
log.info('worker ready');
