/**
 * `robot-control record [--out FILE.mcap] [--duration S]`: record what the broker's
 * read-only /monitor namespace sees (commands, acks, pushes, worker status) into an MCAP
 * file, with the broker's own recorder (same channels, same bounded queue and drop
 * records) run here, client side. It never takes the robot: a controller keeps it.
 * `robot-control record --info FILE.mcap [--json]`: summarise a recording.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type Pino from 'pino';
import { requireCjs } from '../ipc/cjs.js';
import type { Socket } from 'socket.io-client';
import { io } from '../client/socket-io.js';
import { BrokerError, RobotClientError } from '../client/errors.js';
import type { MonitorEvents } from '../ipc/protocol.js';
import { Recorder, recordingBase } from '../server/recording/recorder.js';
import { recordingInfo, type RecordingInfo } from '../server/recording/recording-file.js';
import { toRecord, type TapConsumer } from '../server/recording/tap.js';
import { EXIT, type Command } from './command.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, parse, seconds, UsageError, type ConnectionSettings } from './options.js';
import { err, json, out } from './output.js';

const pino = requireCjs('pino') as typeof Pino;

/** Bytes waiting for the writer past which events are dropped (and counted, in the file). */
const QUEUE_BYTES = 64 * 1024 * 1024;

export const record: Command = {
  name: 'record',
  summary: 'record the session to an MCAP file (or --info FILE: summarise one)',
  help: `Usage: robot-control record [--out FILE.mcap] [--duration SECONDS] [options]
       robot-control record --info FILE.mcap [--json]

Records every command, acknowledgement, pushed event and worker status the broker
reports on its read-only /monitor namespace into an MCAP file (chunked, indexed,
zstd-compressed; one channel per event name, /command, /ack, worker_status), until
Ctrl-C or --duration. It watches without taking the robot. On the way out it prints
{"file","messages","bytes","dropped"} as one JSON line. Open the file in Foxglove
Studio, or play it back in the panel (copy it into the broker's recording.dir).

To record on the broker itself (rotated by size, into its recording.dir), use the
panel's Record button or recording.enabled (docs/FOXGLOVE.md).

Options:
  --out FILE.mcap     where to write (default: ./robot-control-<time>.mcap); never
                      overwrites a file
  --duration SECONDS  stop after this long
  --info FILE.mcap    print a recording's channels, message counts, time range,
                      drops and compression, and exit
  --json              with --info: the summary as JSON

${CONNECTION_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      ...CONNECTION_OPTIONS,
      out: { type: 'string', short: 'o' },
      duration: { type: 'string' },
      info: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`record takes no arguments, got ${positionals.join(' ')}`);
    if (values.info !== undefined) {
      if (values.out !== undefined || values.duration !== undefined) throw new UsageError('--info reads a file: --out and --duration do not apply');
      if (!existsSync(values.info)) throw new UsageError(`--info: no such file: ${values.info}`);
      const info = await recordingInfo(resolve(values.info));
      out(values.json ? json(info) : describeRecording(info));
      return EXIT.ok;
    }
    if (values.json) throw new UsageError('--json goes with --info');
    const duration = seconds(values.duration, '--duration');
    const file = resolve(values.out ?? `${recordingBase(new Date())}.mcap`);
    if (!file.endsWith('.mcap')) throw new UsageError(`--out: the file name must end in .mcap, got ${file}`);
    if (existsSync(file)) throw new UsageError(`--out: ${file} exists; choose another name`);
    return recordSession(connectionSettings(values), file, duration);
  },
};

async function recordSession(settings: ConnectionSettings, file: string, duration: number | undefined): Promise<number> {
  const monitor: Socket<MonitorEvents, Record<string, never>> = io(`${settings.url.replace(/\/$/, '')}/monitor`, {
    auth: { token: settings.token },
    transports: ['websocket'],
    autoConnect: false,
  });
  // The broker's recorder, fed from the monitor instead of the broker's own events.
  const recorder = new Recorder({
    dir: dirname(file),
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxQueueBytes: QUEUE_BYTES,
    log: pino({ level: 'silent' }),
    subscribe: (consumer) => feed(monitor, consumer),
  });
  await recorder.start('robot-control record', basename(file, '.mcap'));
  try {
    await connected(monitor, settings);
  } catch (e) {
    // Nothing was recorded: leave no file behind.
    monitor.close();
    await recorder.close();
    rmSync(file, { force: true });
    throw e;
  }
  try {
    err(`robot-control: recording ${settings.url} to ${file} (${duration === undefined ? 'Ctrl-C to stop' : `for ${duration} s`})`);
    monitor.on('disconnect', (reason) => err(`robot-control: disconnected (${reason}); reconnecting... (nothing is recorded meanwhile)`));
    await stopSignal(duration);
    // A round trip on the same socket (the namespace answers any emit, read-only): whatever the
    // broker sent before its answer is here, and recorded, when the file is closed.
    if (monitor.connected) await (monitor as Socket).timeout(2000).emitWithAck('sync').catch(() => {});
  } finally {
    monitor.close();
    await recorder.close('robot-control record ended');
    const s = recorder.status();
    out(json({ file: s.file, messages: s.messages, bytes: s.bytes, dropped: s.dropped, ...(s.error ? { error: s.error } : {}) }));
  }
  return EXIT.ok;
}

/** Monitor events as recorder records, until unsubscribed. */
function feed(monitor: Socket<MonitorEvents, Record<string, never>>, consumer: TapConsumer): () => void {
  const on = {
    command: (c: Parameters<MonitorEvents['command']>[0]) => consumer(toRecord.command(c)),
    ack: (a: Parameters<MonitorEvents['ack']>[0]) => consumer(toRecord.ack(a)),
    push: (p: Parameters<MonitorEvents['push']>[0]) => consumer(toRecord.push(p)),
    worker_status: (s: Parameters<MonitorEvents['worker_status']>[0]) => consumer(toRecord.worker_status(s)),
  };
  for (const [name, fn] of Object.entries(on)) monitor.on(name as keyof MonitorEvents, fn as never);
  return () => {
    for (const [name, fn] of Object.entries(on)) monitor.off(name as keyof MonitorEvents, fn as never);
  };
}

/** Connect within --wait; a refused token is E_UNAUTHORIZED at once. */
function connected(monitor: Socket, settings: ConnectionSettings): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = settings.waitMs ? setTimeout(() => fail(new RobotClientError('E_CONNECT_TIMEOUT', `could not reach ${settings.url}/monitor within --wait`)), settings.waitMs) : undefined;
    const fail = (e: Error) => {
      clearTimeout(timer);
      monitor.off('connect', ok);
      reject(e);
    };
    const ok = () => {
      clearTimeout(timer);
      monitor.off('connect_error', refused);
      resolve();
    };
    const refused = (e: Error) => {
      if (e.message === 'unauthorized') fail(new BrokerError('E_UNAUTHORIZED', 'unauthorized: the token is missing or wrong'));
    };
    monitor.once('connect', ok);
    monitor.on('connect_error', refused);
    monitor.connect();
  });
}

function stopSignal(duration: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = duration === undefined ? undefined : setTimeout(done, duration * 1000);
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

const n = (x: number) => x.toLocaleString('en-US');
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The --info summary for people. */
export function describeRecording(info: RecordingInfo): string {
  const c = info.chunks;
  const ratio = c.compressedBytes > 0 ? ` (${(c.uncompressedBytes / c.compressedBytes).toFixed(1)}x)` : '';
  const kinds = Object.entries(c.compression).map(([k, v]) => `${v} ${k}`).join(', ');
  const width = Math.max(8, ...info.channels.map((ch) => ch.topic.length));
  const lines = [
    `file         ${info.file} (${size(info.bytes)}${info.indexed ? '' : ', NOT FINISHED: no index, figures from reading it through'})`,
    `library      ${info.library || '?'}`,
    `time         ${info.startedAt ?? '-'} -> ${info.endedAt ?? '-'} (${info.durationS.toFixed(1)} s)`,
    `messages     ${n(info.messages)} in ${info.channels.length} channels`,
    `chunks       ${n(c.count)}${kinds ? ` (${kinds})` : ''}: ${size(c.uncompressedBytes)} -> ${size(c.compressedBytes)}${ratio}`,
    `drops        ${info.drops.total === 0 ? 'none' : `${n(info.drops.total)} events (${info.drops.records} drop records)`}`,
    'channels',
    ...info.channels.map((ch) => `  ${ch.topic.padEnd(width)}  ${ch.source.padEnd(6)}  ${n(ch.messages).padStart(9)}`),
  ];
  return lines.join('\n');
}
