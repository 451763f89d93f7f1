/**
 * The broker under test, in its own process as `npm start` runs it: startBroker()
 * from a compiled dist/ (this checkout's, or BENCH_BROKER_DIST to measure a
 * variant), port 0 on 127.0.0.1, ZeroMQ on ipc:// in the bench's temp folder, JSON
 * logs to a file at the production level (info) unless told otherwise. With
 * BENCH_RECORDING=1 it records the session to MCAP (recording.enabled) from start-up;
 * BENCH_STANDBY (false, true, auto or a count) and BENCH_STANDBY_QUIET (seconds) set
 * worker.standby and worker.standby_quiet.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { env, serveParent } from './child-ipc.js';

const dir = env('BENCH_DIR');
const dist = process.env.BENCH_BROKER_DIST || fileURLToPath(new URL('../../', import.meta.url));
const load = <T>(rel: string) => import(pathToFileURL(join(dist, rel)).href) as Promise<T>;

type Config = import('../../server/config.js').Config;
const { parseConfig } = await load<typeof import('../../server/config.js')>('server/config.js');
const { startBroker } = await load<typeof import('../../server/broker.js')>('server/broker.js');

function standbySetting(v: string): Config['worker']['standby'] | boolean {
  return /^\d+$/.test(v) ? Number(v) : v === 'auto' ? 'auto' : v !== 'false';
}

const config: Config = parseConfig(
  {
    websocket: { host: '127.0.0.1', port: 0 },
    worker: {
      storage_dir: join(dir, 'projects'),
      ...(process.env.BENCH_SANDBOX ? { sandbox: process.env.BENCH_SANDBOX as Config['worker']['sandbox'] } : {}),
      // BENCH_STANDBY=false, auto or a count (worker.standby), BENCH_STANDBY_QUIET=seconds (worker.standby_quiet): to measure what spares cost and save.
      ...(process.env.BENCH_STANDBY ? { standby: standbySetting(process.env.BENCH_STANDBY) } : {}),
      ...(process.env.BENCH_STANDBY_QUIET ? { standby_quiet: Number(process.env.BENCH_STANDBY_QUIET) } : {}),
      // --profile: the worker's profile goes where the others go (it writes there only outside bwrap: BENCH_SANDBOX=none).
      ...(process.env.BENCH_PROFILE_DIR ? { env_allow: ['BENCH_PROFILE_DIR'] } : {}),
    },
    ipc: { command_socket: `ipc://${join(dir, 'cmd.ipc')}`, callback_socket: `ipc://${join(dir, 'cb.ipc')}` },
    auth: { token: 'bench-token' },
    log: { file: join(dir, 'logs', 'app.log'), level: (process.env.BENCH_LOG_LEVEL || 'info') as Config['log']['level'], console: false },
    ...(process.env.BENCH_RECORDING === '1' ? { recording: { enabled: true } } : {}),
  },
  dir,
  {},
);
const broker = await startBroker(config);

serveParent({ port: broker.port, token: broker.token, logFile: config.log.file, dist, sandbox: broker.sandbox.mode }, async (type) => {
  if (type === 'status') return broker.supervisor.status();
  if (type === 'recording') return broker.recorder.status();
  if (type === 'stop') {
    await broker.close();
    setImmediate(() => process.exit(0));
  }
  return null;
});
