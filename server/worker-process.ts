/**
 * One worker process: spawn it in its sandbox (sandbox/sandbox.ts), hand it its config
 * and a secret over a private pipe, read what it writes, learn why it exited, and stop
 * it by escalation (polite request -> SIGTERM -> SIGKILL), its whole process group.
 *
 * Its file descriptors:
 *   0  /dev/null
 *   1  robot output (stdout)  }  text, never parsed: logged as src "robot" and sent
 *   2  robot output (stderr)  }  to the client as robot_log (sandbox/robot-output.ts)
 *   3  the private pipe: the hello (WorkerHello) in, the worker's own JSON log out
 *   4  the lifeline: never written; the worker reads end-of-file on it when the server dies
 *
 * Everything robot code starts dies with this generation: under bwrap by the pid
 * namespace (the sandbox ends with the worker), under `none` by killing the process
 * group once the worker has exited. A worker also kills its own group when the server
 * dies (worker/watchdog.ts, on the lifeline), and bwrap's --die-with-parent does the same.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as os } from 'node:os';
import type { Duplex } from 'node:stream';
import { LOG_LEVELS } from '../ipc/log-levels.js';
import type { WorkerConfig, WorkerHello, WorkerReply } from '../ipc/worker-protocol.js';
import { WORKER_LIFELINE_FD, WORKER_PIPE_FD, workerRoutingId } from '../ipc/worker-protocol.js';
import type { Logger } from './logger.js';
import { readLines } from './sandbox/lines.js';
import type { ProjectSlot } from './sandbox/project-slot.js';
import type { RobotOutput } from './sandbox/robot-output.js';
import type { WorkerSandbox } from './sandbox/sandbox.js';
import { parseWorkerLine, type WorkerLogEntry, type WorkerLogWriter } from './sandbox/worker-log.js';

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** Why, in words: "exit code 1", "uncaught exception: boom", "out of memory", ... */
  reason: string;
}

export interface SpawnOptions {
  script: string;
  config: WorkerConfig;
  maxMemoryMb: number;
  /** The broker's root logger: the worker's lines are written to its stream. */
  log: Logger;
  sandbox: WorkerSandbox;
}

type Ready = Extract<WorkerReply, { type: 'ready' }>;

export class WorkerProcess {
  readonly generation: number;
  /** The routing id this process connects with (random: no other process can take it first). */
  readonly routingId: string;
  readonly exited: Promise<WorkerExit>;
  /** Set by the supervisor when it kills the worker for not answering: the exit's reason. */
  wedged: string | null = null;
  private readonly child: ChildProcess;
  private readonly secret = randomBytes(24);
  private readonly slot: ProjectSlot | null;
  private readonly lines: WorkerLogWriter;
  private readonly output: RobotOutput;
  private readonly sandboxed: boolean;
  /** Set once its `ready` is verified: from then on, fds 1 and 2 carry robot output. */
  private ready = false;
  /** The worker's own pid on the host, once known (under bwrap the spawned process is bwrap). */
  private workerPid: number | null = null;
  private lastFatal: string | null = null;
  private startupError: string | null = null;
  private outOfMemory = false;

  constructor(options: SpawnOptions) {
    const { config, sandbox } = options;
    this.generation = config.generation;
    this.routingId = workerRoutingId(this.generation, randomBytes(12).toString('base64url'));
    this.sandboxed = sandbox.mode === 'bwrap';
    const plan = sandbox.plan(this.generation, [`--max-old-space-size=${options.maxMemoryMb}`, '--experimental-detect-module', '--no-warnings', options.script]);
    this.slot = plan.slot;
    this.lines = sandbox.writer(options.log, this.generation, () => this.pid);
    this.output = sandbox.output(this.generation, this.lines);
    // detached: a process group of its own, so the group can be killed and a terminal's Ctrl+C reaches the server only.
    this.child = spawn(plan.file, plan.args, { env: plan.env, cwd: plan.cwd, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], detached: true });
    live.add(this);

    const pipe = this.child.stdio[WORKER_PIPE_FD] as Duplex;
    pipe.on('error', () => {}); // EPIPE when the worker is gone: its exit tells why
    // The lifeline: held open, never written (WORKER_LIFELINE_FD); read only to see it close with the worker.
    (this.child.stdio[WORKER_LIFELINE_FD] as Duplex).on('error', () => {}).resume();
    const hello: WorkerHello = { config, routingId: this.routingId, secret: this.secret.toString('base64url'), sandboxed: this.sandboxed };
    pipe.write(`${JSON.stringify(hello)}\n`);
    readLines(pipe, (line) => this.onWorkerLine(line));
    readLines(this.child.stdout!, (line) => this.onOutput('stdout', line));
    readLines(this.child.stderr!, (line) => this.onOutput('stderr', line));

    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => resolve(this.finish(null, null, `could not start: ${err.message}`)));
      this.child.once('exit', (code, signal) => resolve(this.finish(code, signal, null)));
    });
  }

  /** The worker's pid on the host (under bwrap, bwrap's until the worker said ready). */
  get pid(): number | null {
    return this.workerPid ?? this.child.pid ?? null;
  }

  /**
   * True when `msg` is this process's one `ready`: its generation, the routing id it was
   * given, and the secret only it was handed. True once: a replayed ready is refused.
   */
  verifyReady(msg: Ready, routingId?: string): boolean {
    if (this.ready || msg.generation !== this.generation) return false;
    if (routingId !== undefined && routingId !== this.routingId) return false;
    const claimed = Buffer.from(msg.secret, 'base64url');
    if (claimed.length !== this.secret.length || !timingSafeEqual(claimed, this.secret)) return false;
    this.ready = true;
    this.workerPid = this.sandboxed ? findWorkerPid(this.child.pid) : null;
    return true;
  }

  /**
   * Make the release folder `hostDir` visible to this worker; the path as the worker
   * sees it. Sandboxed: filled into this worker's slot (sandbox/project-slot.ts).
   * Without a sandbox the worker sees the host: `hostDir` itself.
   */
  async projectPath(hostDir: string): Promise<string> {
    return this.slot ? this.slot.fill(hostDir) : hostDir;
  }

  /** SIGTERM now, SIGKILL after `graceMs` if still alive. Resolves on exit. */
  async kill(graceMs: number): Promise<WorkerExit> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Signal the worker's process group (robot code's children too), or the worker alone if
   * that fails while it runs. Never the bare pid once it has exited: the pid may be another
   * process's by then (a group id is not reused while any member of the group is alive).
   */
  signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (!pid) return;
    try {
      process.kill(-pid, sig);
    } catch {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return;
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, spawnError: string | null): WorkerExit {
    live.delete(this);
    this.signal('SIGKILL'); // what robot code left running in the group (none: the sandbox ended with it)
    this.output.close();
    void this.slot?.remove().catch(() => {});
    // bwrap reports a signal's death as 128 + its number.
    if (this.sandboxed && signal === null && code !== null && code > 128) {
      const number = code - 128;
      signal = (Object.entries(os.signals).find(([, n]) => n === number)?.[0] as NodeJS.Signals | undefined) ?? null;
      if (signal) code = null;
    }
    return { code, signal, reason: spawnError ?? this.describeExit(code, signal) };
  }

  private describeExit(code: number | null, signal: string | null): string {
    if (this.wedged) return this.wedged;
    if (this.outOfMemory) return 'out of memory';
    if (this.lastFatal) return this.lastFatal;
    if (this.startupError) return `failed to start: ${this.startupError}`;
    if (signal) return `killed by ${signal}`;
    return `exit code ${code}`;
  }

  /** A line of the worker's own log (fd 3): re-written, never copied (sandbox/worker-log.ts). */
  private onWorkerLine(line: string): void {
    const entry = parseWorkerLine(line);
    if (!entry) return this.lines.note(LOG_LEVELS.warn, { src: 'worker-pipe' }, line);
    if (entry.level >= LOG_LEVELS.fatal) this.noteFatal(entry);
    this.lines.worker(entry);
  }

  private noteFatal(entry: WorkerLogEntry): void {
    const f = entry.fields as { exitReason?: unknown; err?: { message?: unknown } };
    const reason = typeof f.exitReason === 'string' ? f.exitReason : entry.msg || 'fatal error';
    const detail = typeof f.err?.message === 'string' ? `: ${f.err.message}` : '';
    this.lastFatal = `${reason}${detail}`.slice(0, 500);
  }

  /**
   * fds 1 and 2. Before `ready` no robot code has run: what comes is bwrap's or Node's own
   * start-up output, logged as the worker's and kept as the reason should it die.
   */
  private onOutput(stream: 'stdout' | 'stderr', line: string): void {
    if (stream === 'stderr' && /heap out of memory|Reached heap limit/i.test(line)) this.outOfMemory = true;
    if (this.ready) return this.output.line(stream, line);
    if (stream === 'stderr') this.startupError ??= line.slice(0, 300);
    this.lines.note(LOG_LEVELS.warn, { src: 'startup', stream }, line);
  }
}

/** Workers not yet exited: the server exiting any way (process.exit on a fatal path) takes their groups with it. */
const live = new Set<WorkerProcess>();
process.on('exit', () => {
  for (const w of live) w.signal('SIGKILL');
});

/** Under bwrap: the host pid of the worker (bwrap -> its init in the pid namespace -> node); null if /proc cannot tell. */
function findWorkerPid(bwrapPid: number | undefined): number | null {
  let pid = bwrapPid;
  for (let depth = 0; depth < 2 && pid; depth++) {
    try {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      pid = children.length === 1 ? Number(children[0]) : undefined;
    } catch {
      return null;
    }
  }
  return pid ?? null;
}
