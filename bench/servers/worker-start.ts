/**
 * What the sandbox costs a worker start: real WorkerProcesses (the broker's own class,
 * its worker script, its sandbox) spawned one after another, each timed from the spawn
 * to its verified `ready`, then stopped. Asked for `{ mode, count }`, answers the times
 * in ms. A ZeroMQ ROUTER and SUB of its own stand in for the server's (the worker
 * reports ready only once its publisher sees a subscription). From a compiled dist/
 * (this checkout's, or BENCH_BROKER_DIST).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { env, serveParent } from './child-ipc.js';

const dir = env('BENCH_DIR');
const dist = process.env.BENCH_BROKER_DIST || fileURLToPath(new URL('../../', import.meta.url));
const load = <T>(rel: string) => import(pathToFileURL(join(dist, rel)).href) as Promise<T>;

const { parseConfig } = await load<typeof import('../../server/config.js')>('server/config.js');
const { createLogger } = await load<typeof import('../../server/logger.js')>('server/logger.js');
const { paths } = await load<typeof import('../../server/paths.js')>('server/paths.js');
const { WorkerSandbox } = await load<typeof import('../../server/sandbox/sandbox.js')>('server/sandbox/sandbox.js');
const { WorkerProcess } = await load<typeof import('../../server/worker-process.js')>('server/worker-process.js');
const { RpcRouter } = await load<typeof import('../../ipc/rpc-router.js')>('ipc/rpc-router.js');
const { EventSubscriber } = await load<typeof import('../../ipc/subscriber.js')>('ipc/subscriber.js');

mkdirSync(join(dir, 'projects'), { recursive: true });
const endpoints = { command: `ipc://${join(dir, 'start-cmd.ipc')}`, callback: `ipc://${join(dir, 'start-cb.ipc')}` };
const log = createLogger({ file: join(dir, 'logs', 'worker-start.log'), level: 'warn', console: false });

let current: { proc: InstanceType<typeof WorkerProcess>; ready: () => void } | null = null;
const router = new RpcRouter({
  onReady: (routingId, msg) => {
    if (!current?.proc.verifyReady(msg, routingId)) return false;
    current.ready();
    return true;
  },
  maxInFlight: 1000,
});
const subscriber = new EventSubscriber(() => {}, () => {}, () => {});
await router.bind(endpoints.command);
await subscriber.bind(endpoints.callback);

const sandboxes = new Map<string, Awaited<ReturnType<typeof WorkerSandbox.create>>>();
async function sandboxFor(mode: 'bwrap' | 'none') {
  let s = sandboxes.get(mode);
  if (!s) {
    const config = parseConfig(
      { worker: { storage_dir: join(dir, 'projects'), sandbox: mode }, ipc: { command_socket: endpoints.command, callback_socket: endpoints.callback }, log: { file: join(dir, 'logs', 'x.log') } },
      dir,
      {},
    );
    s = await WorkerSandbox.create({ config, secrets: [], onRobotLog: () => {}, packageRoot: paths.root, defaultProject: paths.defaultProject });
    sandboxes.set(mode, s);
  }
  return { sandbox: s, storageDir: join(dir, 'projects') };
}

let generation = 0;
async function startOne(mode: 'bwrap' | 'none'): Promise<number> {
  const { sandbox, storageDir } = await sandboxFor(mode);
  generation++;
  const config = {
    generation,
    storageDir,
    commandEndpoint: endpoints.command,
    callbackEndpoint: endpoints.callback,
    maxUnpackedBytes: 1 << 30,
    maxZipEntries: 10_000,
    stopTimeoutMs: 1000,
    pythonPath: 'python3',
    maxMemoryMb: 512,
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 5000,
    repairStorage: false,
    defaultProjectDir: paths.defaultProject,
    logLevel: 'warn',
  };
  const startedAt = performance.now();
  const proc = new WorkerProcess({ script: paths.workerScript, config, maxMemoryMb: 512, log, sandbox });
  let died: string | null = null;
  await new Promise<void>((resolve) => {
    current = { proc, ready: resolve };
    void proc.exited.then((exit) => {
      died = exit.reason;
      resolve();
    });
  });
  const ms = performance.now() - startedAt;
  current = null;
  if (died !== null) throw new Error(`worker ${generation} (${mode}) exited before it was ready: ${died}`);
  await proc.kill(1000);
  return ms;
}

serveParent({ dist }, async (type, body) => {
  if (type === 'stop') {
    router.close();
    subscriber.close();
    setImmediate(() => process.exit(0));
    return null;
  }
  if (type !== 'measure') return null;
  const { mode, count } = body as { mode: 'bwrap' | 'none'; count: number };
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await startOne(mode));
  return times;
});
