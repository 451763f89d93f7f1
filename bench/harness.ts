/**
 * One bench run: start the floors and the broker as separate server processes, drive
 * them from this process with real socket.io-clients, in alternating rounds (odd
 * rounds floors first, even rounds broker first), and combine the rounds into the
 * figures. `runBench` is what `npm run bench` and the smoke test call.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';
import * as client from './client.js';
import { FIGURES, judge, type FigureResult } from './figures.js';
import { serverScript, startServer, type ServerHandle } from './host.js';
import type { BenchOptions } from './options.js';
import { childPids, cpuMs, rssBytes, sampleTreePeak, settledTree, treeRssBytes, workerPids, type TreePeak } from './procfs.js';
import { bigProjectZip, smallProjectZip } from './project.js';
import { max, median, percentile } from './stats.js';
import { measurePython } from './python.js';
import { measureBrokerReplay, measureFloorReplay } from './replay.js';
import { measureStrangers } from './strangers.js';
import { updatePhases, type UpdatePhases } from './update-phases.js';

/** Updates in a row for the back-to-back figure. */
const UPDATES_BACK_TO_BACK = 5;
/** A broker's warm-up before each round's sequential calls, in warm-ups: its worker, started for an update, needs ~3,000 calls to settle (a probe), 2.5 x 2,000. */
const REWARM_FACTOR = 2.5;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const LAYOUT =
  'client: the bench process (socket.io-client, websocket transport); each server in its own process on 127.0.0.1 port 0: ' +
  'floor (a) a bare Socket.IO server; floor (b) a Socket.IO server process + ZeroMQ ROUTER/SUB (ipc:// in a temp folder) + ' +
  'a child process (DEALER/XPUB) answering at once; the broker: startBroker() in its own process as npm start runs it, ' +
  'with its worker child; log level as given, JSON to a file, no console; for the recording figures a second such broker ' +
  'with recording.enabled (MCAP to its temp folder), measured back to back with the first';

export interface BenchResults {
  meta: {
    date: string;
    command: string;
    node: string;
    cpus: number;
    cpuModel: string;
    loadavgStart: number[];
    loadavgEnd: number[];
    layout: string;
    brokerDist: string;
    options: BenchOptions;
    durationS: number;
    uploadBytes: number;
    profileDir: string | null;
    /** The checkout the measured broker was built from (its dist/ may hold uncommitted changes). */
    commit: string;
    /** What the measured broker's robot code runs in (its `worker.sandbox` is auto: bwrap where it works). */
    sandbox: string;
  };
  figures: FigureResult[];
  /** Median of each update phase over the rounds, from the broker's log (empty when its level is above info). */
  updatePhases: Partial<UpdatePhases>;
  /** The same for the big upload. */
  uploadPhases: Partial<UpdatePhases>;
  /** The big upload's memory growth split: the server process, and its worker processes together (each round). */
  uploadMemory: Array<{ serverMb: number; workersMb: number }>;
  errors: string[];
}

interface Subject {
  name: 'socketio' | 'chain' | 'broker' | 'broker, sandbox: none' | 'recording';
  server: ServerHandle<{ port: number; token?: string; responderPid?: number; dist?: string; logFile?: string; sandbox?: string }>;
  socket: Socket;
}

export async function runBench(options: BenchOptions, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchResults> {
  const startedAt = Date.now();
  const loadavgStart = os.loadavg();
  const dir = mkdtempSync(join(os.tmpdir(), 'rc-bench-'));
  const errors: string[] = [];
  const samples = new Map<string, { broker: number[]; floor: number[] }>(FIGURES.map((f) => [f.key, { broker: [], floor: [] }]));
  const add = (key: string, who: 'broker' | 'floor', v: number): void => void samples.get(key)![who].push(v);
  const enabled = (f: string) => options.only.length === 0 || options.only.includes(f);
  const t = options.phaseTimeoutMs;
  const meta: BenchResults['meta'] = {
    date: new Date(startedAt).toISOString(),
    command: 'runBench()',
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadavgStart,
    loadavgEnd: [],
    layout: LAYOUT,
    brokerDist: options.brokerDist ?? fileURLToPath(new URL('../', import.meta.url)),
    options,
    durationS: 0,
    uploadBytes: 0,
    profileDir: options.profileDir,
    commit: gitDescribe(options.brokerDist ?? fileURLToPath(new URL('../', import.meta.url))),
    sandbox: 'unknown',
  };

  mkdirSync(join(dir, 'chain'));
  mkdirSync(join(dir, 'broker'));
  mkdirSync(join(dir, 'broker-none'));
  mkdirSync(join(dir, 'worker-start'));
  mkdirSync(join(dir, 'recording'));
  const profileEnv: NodeJS.ProcessEnv = {};
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    const preload = fileURLToPath(new URL('./profile-preload.js', import.meta.url));
    // NODE_OPTIONS reaches the children too (the broker's worker, the chain's responder).
    profileEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim();
    profileEnv.BENCH_PROFILE_DIR = options.profileDir;
  }
  const brokerEnv: NodeJS.ProcessEnv = { ...profileEnv, BENCH_DIR: join(dir, 'broker'), BENCH_LOG_LEVEL: options.logLevel, BENCH_BROKER_DIST: options.brokerDist ?? '' };

  const updateBreakdown: UpdatePhases[] = [];
  const uploadBreakdown: UpdatePhases[] = [];
  const uploadMemory: Array<{ serverMb: number; workersMb: number }> = [];
  const servers: Array<ServerHandle<unknown>> = [];
  const sockets: Socket[] = [];
  try {
    say(`bench: starting the floors and the broker (temp ${dir})`);
    const recording = enabled('recording') && (enabled('seq') || enabled('flood'));
    const started = await Promise.allSettled([
      startServer<Subject['server']['info']>('socketio-floor', serverScript('socketio-floor'), { env: profileEnv }),
      startServer<Subject['server']['info']>('chain-floor', serverScript('chain-floor'), { env: { ...profileEnv, BENCH_DIR: join(dir, 'chain') } }),
      startServer<Subject['server']['info']>('broker', serverScript('broker-server'), { env: brokerEnv }),
      // The sandbox's cost: the same broker with `worker.sandbox: none`, and worker starts timed in both modes.
      startServer<Subject['server']['info']>('broker, sandbox: none', serverScript('broker-server'), { env: { ...brokerEnv, BENCH_DIR: join(dir, 'broker-none'), BENCH_SANDBOX: 'none' } }),
      startServer<Record<string, unknown>>('worker-start', serverScript('worker-start'), { env: { BENCH_DIR: join(dir, 'worker-start'), BENCH_BROKER_DIST: options.brokerDist ?? '' } }),
      ...(recording
        ? [startServer<Subject['server']['info']>('broker+recording', serverScript('broker-server'), { env: { ...brokerEnv, BENCH_DIR: join(dir, 'recording'), BENCH_RECORDING: '1' } })]
        : []),
    ]);
    for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [sioServer, chainServer, brokerServer, noSandboxServer, startsServer, recServer] = servers as [Subject['server'], Subject['server'], Subject['server'], Subject['server'], ServerHandle<unknown>, Subject['server'] | undefined];
    meta.sandbox = brokerServer.info.sandbox ?? 'unknown';
    const S: Subject = { name: 'socketio', server: sioServer, socket: await client.connect(sioServer.info.port) };
    const C: Subject = { name: 'chain', server: chainServer, socket: await client.connect(chainServer.info.port) };
    const B: Subject = { name: 'broker', server: brokerServer, socket: await client.connect(brokerServer.info.port, brokerServer.info.token, options.meta) };
    const N: Subject = { name: 'broker, sandbox: none', server: noSandboxServer, socket: await client.connect(noSandboxServer.info.port, noSandboxServer.info.token, options.meta) };
    // The same broker recording its session: in the rounds right next to B, so their ratio is paired.
    const R: Subject | null = recServer ? { name: 'recording', server: recServer, socket: await client.connect(recServer.info.port, recServer.info.token, options.meta) } : null;
    sockets.push(S.socket, C.socket, B.socket, N.socket, ...(R ? [R.socket] : []));
    const withR = (subjects: Subject[]) => (R ? [...subjects, R] : subjects);

    const smallZip = smallProjectZip();
    say('bench: installing the bench project in the broker and warming up');
    await client.upload(B.socket, smallZip, t);
    await client.upload(N.socket, smallZip, t);
    if (R) await client.upload(R.socket, smallZip, t);
    const warmUp = async () => {
      for (const s of withR([S, C, B, N])) {
        await client.sequential(s.socket, options.warmupCalls, t);
        await client.pipelined(s.socket, options.warmupCalls, options.window, t);
        await client.flood(s.socket, Math.min(options.floodEvents, 10_000), t);
      }
    };
    await warmUp();

    /** Run `fn` for each subject, floors first in odd rounds and the broker first in even ones. */
    const alternate = async (round: number, subjects: Subject[], what: string, fn: (s: Subject) => Promise<void>) => {
      const order = round % 2 === 1 ? subjects : [...subjects].reverse();
      for (const s of order) {
        try {
          await fn(s);
        } catch (err) {
          errors.push(`round ${round}, ${what}, ${s.name}: ${(err as Error).message}`);
          say(`bench: ERROR ${errors.at(-1)}`);
        }
        await sleep(100); // let the previous load's tail (GC, log flush) settle
      }
    };
    const who = (s: Subject) => (s === B || s === R ? 'broker' : 'floor');
    const seqSubjects = withR(enabled('sandbox') ? [S, C, B, N] : [S, C, B]);

    if (enabled('idle')) {
      await sleep(options.idleSettleMs);
      const status = await B.server.request<{ pid: number | null }>('status');
      const mb = (pid: number | null | undefined) => (pid ? (rssBytes(pid) ?? Number.NaN) / MiB : Number.NaN);
      add('idle_rss_server', 'broker', mb(B.server.pid));
      add('idle_rss_server', 'floor', mb(S.server.pid));
      add('idle_rss_worker', 'broker', mb(status.pid));
      add('idle_rss_worker', 'floor', mb(C.server.info.responderPid));
      // The standby spare (0 when the broker keeps none) and every broker process together.
      const spares = workerPids(B.server.pid).filter((p) => p !== status.pid);
      add('idle_rss_spare', 'broker', spares.reduce((sum, p) => sum + mb(p), 0));
      add('idle_rss_spare', 'floor', mb(C.server.info.responderPid));
      add('idle_rss_total', 'broker', treeRssBytes(B.server.pid) / MiB);
      add('idle_rss_total', 'floor', treeRssBytes(C.server.pid) / MiB);
      // Again once the server has been quiet long enough to give its young generation back,
      // then warmed up again: no round starts with a trimmed server.
      await sleep(Math.max(0, options.idleQuietMs - options.idleSettleMs));
      add('idle_rss_server_quiet', 'broker', mb(B.server.pid));
      add('idle_rss_server_quiet', 'floor', mb(S.server.pid));
      add('idle_rss_total_quiet', 'broker', treeRssBytes(B.server.pid) / MiB);
      add('idle_rss_total_quiet', 'floor', treeRssBytes(C.server.pid) / MiB);
      if (options.idleQuietMs > options.idleSettleMs) await warmUp();
    }

    for (let round = 1; round <= options.rounds; round++) {
      say(`bench: round ${round} of ${options.rounds}`);
      /** The broker's p99 in this round's sequential calls (warm), the floor of the figure after an update. */
      let warmP99: number | null = null;
      if (enabled('seq')) {
        // Warm first: the previous round's updates left each broker on a worker process
        // started seconds ago, whose code V8 is still optimizing (its calls' p99 is 2-5x the
        // warm one for its first ~3,000 calls: docs/PERFORMANCE.md). That cost is its own
        // figure (seq_p99_after_update, in the update part); this one is the warm broker's.
        // The floors' processes never restart: the warm-up's calls keep them as warm.
        for (const s of seqSubjects) await client.sequential(s.socket, s === S || s === C ? options.warmupCalls : Math.round(options.warmupCalls * REWARM_FACTOR), t);
        await alternate(round, seqSubjects, 'sequential', async (s) => {
          const r = await client.sequential(s.socket, options.seqCalls, t);
          if (r.truncated) errors.push(`round ${round}, sequential, ${s.name}: truncated at ${r.latenciesUs.length} calls`);
          const p50 = percentile(r.latenciesUs, 50);
          if (s === S) return add('seq_p50_socketio', 'floor', p50);
          if (s === N) return add('seq_p50_sandbox', 'floor', p50);
          if (s === B && enabled('sandbox')) add('seq_p50_sandbox', 'broker', p50);
          if (s === R) return add('rec_seq_p50', 'broker', p50);
          if (s === B && R) add('rec_seq_p50', 'floor', p50);
          add('seq_p50', who(s), p50);
          add('seq_p99', who(s), percentile(r.latenciesUs, 99));
          if (s === B) {
            add('seq_p50_socketio', 'broker', p50);
            warmP99 = percentile(r.latenciesUs, 99);
          }
        });
      }
      if (enabled('pipelined')) {
        await alternate(round, [C, B], 'pipelined', async (s) => {
          const r = await client.pipelined(s.socket, options.pipelinedCalls, options.window, t);
          if (r.truncated) errors.push(`round ${round}, pipelined, ${s.name}: truncated at ${r.calls} calls`);
          add('pipelined', who(s), r.callsPerSec);
        });
      }
      if (enabled('short')) {
        await alternate(round, [C, B], 'short during long', async (s) => {
          const r = await client.shortDuringLong(s.socket, options.longMs, options.shortCalls, t);
          if (r.shortMs.length === 0) throw new Error('no short call answered while the long one ran');
          add('short_during_long', who(s), percentile(r.shortMs, 50));
          add('short_during_long_max', who(s), max(r.shortMs));
        });
      }
      if (enabled('flood')) {
        await alternate(round, withR([S, C, B]), 'flood', async (s) => {
          const cpuBefore = cpuMs(s.server.pid);
          const r = await client.flood(s.socket, options.floodEvents, t);
          // The server process's CPU per event (its main thread and the recording's writer thread).
          const cpu = r.received > 0 && cpuBefore !== null ? (((cpuMs(s.server.pid) ?? Number.NaN) - cpuBefore) * 1000) / r.received : Number.NaN;
          if (s === R) add('rec_flood_cpu', 'broker', cpu);
          if (s === B && R) add('rec_flood_cpu', 'floor', cpu);
          if (s === S) return add('flood_rate_socketio', 'floor', r.eventsPerSec);
          if (s === R) {
            add('rec_flood_rate', 'broker', r.eventsPerSec);
            if (r.lost || r.outOfOrder) errors.push(`round ${round}, flood, recording: ${r.lost} lost, ${r.outOfOrder} out of order`);
            return;
          }
          if (s === B && R) add('rec_flood_rate', 'floor', r.eventsPerSec);
          if (s === B) add('flood_rate_socketio', 'broker', r.eventsPerSec);
          add('flood_rate', who(s), r.eventsPerSec);
          add('flood_lost', who(s), r.lost);
          add('flood_disorder', who(s), r.outOfOrder);
          if (r.shedReported) errors.push(`round ${round}, flood, ${s.name}: the broker reported ${r.shedReported} events shed`);
        });
      }
      if (enabled('replay')) {
        await alternate(round, [S, B], 'replay', async (s) => {
          const r =
            s === B
              ? await measureBrokerReplay(B.server.info.port, B.server.info.token!, B.server.pid, B.socket, options.replayEvents, t)
              : await measureFloorReplay(S.server.info.port, S.server.pid, options.replayEvents, t);
          if (r.outOfOrder) errors.push(`round ${round}, replay, ${s.name}: ${r.outOfOrder} out of order`);
          add('replay_ms', who(s), r.ms);
          add('replay_rss', who(s), r.rssGrowthMb);
        });
      }
      if (enabled('sandbox')) {
        const modes = round % 2 === 1 ? (['none', 'bwrap'] as const) : (['bwrap', 'none'] as const);
        for (const mode of modes) {
          try {
            const times = await startsServer.request<number[]>('measure', { mode, count: options.workerStarts }, t);
            add('worker_start_sandbox', mode === 'bwrap' ? 'broker' : 'floor', median(times));
          } catch (err) {
            errors.push(`round ${round}, worker start, sandbox ${mode}: ${(err as Error).message}`);
            say(`bench: ERROR ${errors.at(-1)}`);
          }
        }
      }
      if (enabled('update')) {
        await alternate(round, [C, B], 'update', async (s) => {
          const sentAt = Date.now();
          add('update_ready', who(s), await client.upload(s.socket, smallZip, t));
          // Back to back, as a `dev` loop on fast saves: each update as soon as the previous one is acked.
          const times: number[] = [];
          for (let k = 0; k < UPDATES_BACK_TO_BACK; k++) times.push(await client.upload(s.socket, smallZip, t));
          add('update_ready_b2b', who(s), median(times));
          if (s !== B) return;
          // Calls right after the ack: the new worker's first seconds, against this round's warm p99.
          if (enabled('seq') && warmP99 !== null) {
            const cold = await client.sequential(B.socket, options.seqCalls, t);
            add('seq_p99_after_update', 'broker', percentile(cold.latenciesUs, 99));
            add('seq_p99_after_update', 'floor', warmP99);
          }
          await sleep(150); // the transport thread writes the log lines
          const phases = updatePhases(B.server.info.logFile!, sentAt);
          if (phases) updateBreakdown.push(phases);
        });
      }
      if (enabled('python')) {
        try {
          await measurePython(B.socket, round, options.seqCalls, options.idleSettleMs, t, add);
        } catch (err) {
          errors.push(`round ${round}, python: ${(err as Error).message}`);
          say(`bench: ERROR ${errors.at(-1)}`);
        }
      }
    }

    if (R) {
      // Everything the recording broker saw went to its file, or was counted as dropped.
      const rec = await R.server.request<{ dropped: number; error: string | null; messages: number }>('recording');
      add('rec_dropped', 'broker', rec.dropped);
      add('rec_dropped', 'floor', 0);
      if (rec.error) errors.push(`recording: ${rec.error}`);
      say(`bench: the recording broker wrote ${rec.messages} messages, dropped ${rec.dropped}`);
    }

    if (enabled('upload') && options.uploadRounds > 0) {
      say(`bench: building a ${options.uploadMb} MiB project`);
      const bigZip = bigProjectZip(options.uploadMb);
      for (let round = 1; round <= options.uploadRounds; round++) {
        say(`bench: upload round ${round} of ${options.uploadRounds}`);
        // The broker twice: in pieces, as its SDK and panel send (the figure with a goal), and whole, as older clients do.
        const measure = async (s: Subject, how: 'whole' | 'pieces'): Promise<{ ms: number; mb: number; base: TreePeak; peak: TreePeak; sentAt: number }> => {
          await sleep(400); // the previous upload's garbage collected
          const base = await settledTree(s.server.pid); // and the spare it started booted
          const sampler = sampleTreePeak(s.server.pid, 5);
          const sentAt = Date.now();
          let peak!: TreePeak;
          const ms = await client.upload(s.socket, bigZip, Math.max(t, 120_000), how).finally(() => (peak = sampler.stop()));
          return { ms, mb: (peak.peak - base.peak) / MiB, base, peak, sentAt };
        };
        await alternate(round, [S, B], 'big upload', async (s) => {
          if (s === B) {
            const whole = await measure(B, 'whole');
            add('upload_ack_whole', 'broker', whole.ms);
            add('upload_mem_whole', 'broker', whole.mb);
          }
          const { ms, mb, base, peak, sentAt } = await measure(s, s === B ? 'pieces' : 'whole');
          add('upload_ack', who(s), ms);
          add('upload_mem', who(s), mb);
          if (s !== B) {
            add('upload_ack_whole', 'floor', ms);
            add('upload_mem_whole', 'floor', mb);
            return;
          }
          uploadMemory.push({ serverMb: (peak.rootPeak - base.rootPeak) / MiB, workersMb: (peak.childrenPeak - base.childrenPeak) / MiB });
          await sleep(150);
          const phases = updatePhases(B.server.info.logFile!, sentAt);
          if (phases) uploadBreakdown.push(phases);
        });
      }
      meta.uploadBytes = bigZip.length;
    }
    if (enabled('strangers')) {
      // Against a broker and a Socket.IO floor of their own, started for this and stopped after:
      // the stranger frames leave a Socket.IO server's heap hundreds of MB larger (the floor's
      // grew 560-860 MB), which slowed every floor figure measured after them (its emit rate
      // by 10-20%), and what ran before moved the broker's growth. Each grows over its own
      // RSS read just before.
      say(`bench: ${options.strangerPeers} unauthenticated peers pushing frames for ${options.strangerMs} ms, at a fresh broker and floor`);
      mkdirSync(join(dir, 'strangers'));
      const targets = [
        await startServer<Subject['server']['info']>('socketio-floor (strangers)', serverScript('socketio-floor'), { env: profileEnv }),
        await startServer<Subject['server']['info']>('broker (strangers)', serverScript('broker-server'), { env: { ...brokerEnv, BENCH_DIR: join(dir, 'strangers') } }),
      ];
      servers.push(...targets);
      const [floor, broker] = targets as [Subject['server'], Subject['server']];
      for (const [server, who] of [[floor, 'floor'], [broker, 'broker']] as const) {
        try {
          await sleep(options.idleSettleMs);
          const idle = rssBytes(server.pid) ?? Number.NaN;
          const r = await measureStrangers(server.pid, server.info.port, idle, {
            peers: options.strangerPeers,
            durationMs: options.strangerMs,
            bigFrameBytes: options.strangerFrameMb * MiB,
          });
          if (r.connections === 0) throw new Error('no stranger could connect');
          add('strangers_rss', who, r.growthMb);
          say(`bench: strangers vs ${server.name}: ${r.connections} connections, ${r.framesSent} frames, RSS +${r.growthMb.toFixed(1)} MB`);
        } catch (err) {
          errors.push(`strangers, ${server.name}: ${(err as Error).message}`);
          say(`bench: ERROR ${errors.at(-1)}`);
        }
      }
    }
  } finally {
    for (const s of sockets) s.close();
    await Promise.all(servers.map((s) => s.stop(10_000)));
    if (process.env.BENCH_KEEP === '1') say(`bench: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }

  const figures: FigureResult[] = FIGURES.map((def) => {
    const s = samples.get(def.key)!;
    const combine = def.combine === 'max' ? max : median;
    const broker = combine(s.broker);
    const floorValue = combine(s.floor);
    const divide = (b: number, f: number) => (f === 0 ? (b === 0 ? 1 : Number.POSITIVE_INFINITY) : b / f);
    // Paired: each round's broker over the same round's floor, measured back to back, so a
    // load change between rounds (other tenants of the machine) cancels out.
    const paired = def.combine === 'median' && s.broker.length === s.floor.length && s.broker.length > 1;
    const ratios = paired ? s.broker.map((b, i) => divide(b, s.floor[i]!)) : [divide(broker, floorValue)];
    const ratio = paired ? median(ratios) : ratios[0]!;
    const ratioSpread: [number, number] = paired ? [percentile(ratios, 25), percentile(ratios, 75)] : [Number.NaN, Number.NaN];
    const ran = s.broker.length > 0;
    return { ...def, broker, floorValue, ratio, ratioSpread, met: ran ? judge(def.target, broker, ratio, floorValue) : null, samples: s };
  });
  meta.loadavgEnd = os.loadavg();
  meta.durationS = Math.round((Date.now() - startedAt) / 100) / 10;
  return { meta, figures, updatePhases: medianPhases(updateBreakdown), uploadPhases: medianPhases(uploadBreakdown), uploadMemory, errors };
}

/** The commit of the checkout whose build `dist` is (with --broker-dist, that build's, not this one's). */
function gitDescribe(dist: string): string {
  const cwd = join(dist, '..');
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server', 'worker', 'ipc'], { cwd, encoding: 'utf8' }).trim();
    return dirty ? `${head} + uncommitted changes in server/, worker/ or ipc/` : head;
  } catch {
    return `${dist} (not in a git checkout)`;
  }
}

function medianPhases(rounds: UpdatePhases[]): Partial<UpdatePhases> {
  const out: Partial<UpdatePhases> = {};
  if (rounds.length === 0) return out;
  for (const k of Object.keys(rounds[0]!) as Array<keyof UpdatePhases>) out[k] = median(rounds.map((p) => p[k]));
  out.standby = rounds.filter((p) => p.standby).length / rounds.length;
  return out;
}
