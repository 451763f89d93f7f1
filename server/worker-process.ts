/**
 * One worker process: spawn, read its JSON log lines into the broker's log, learn
 * why it exited, and stop it by escalation (polite request -> SIGTERM -> SIGKILL).
 */
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import pino from 'pino';
import type { WorkerConfig, WorkerReply } from '../ipc/protocol.js';
import { WORKER_EXIT } from '../ipc/protocol.js';
import type { Logger } from './logger.js';

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
  log: Logger;
}

export class WorkerProcess {
  readonly generation: number;
  readonly exited: Promise<WorkerExit>;
  private readonly child: ResultPromise;
  private lastFatal: string | null = null;
  /** Set by the supervisor when it kills the worker for not answering: the exit's reason. */
  wedged: string | null = null;
  private outOfMemory = false;
  private readonly log: Logger;

  constructor(options: SpawnOptions) {
    this.generation = options.config.generation;
    this.log = options.log.child({ proc: 'worker', gen: this.generation });
    this.child = execa(
      process.execPath,
      [`--max-old-space-size=${options.maxMemoryMb}`, '--experimental-detect-module', '--no-warnings', options.script],
      {
        env: { ROBOT_CONTROL_WORKER: JSON.stringify(options.config) },
        extendEnv: true,
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        reject: false,
        cleanup: true,
      },
    );
    this.child.stdin?.on('error', () => {}); // EPIPE when the worker is gone: its exit tells why
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onStdout(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.onStderr(line));
    this.exited = this.child.then((r) => {
      const signal = r.signal ?? null;
      const code = r.exitCode ?? null;
      return { code, signal, reason: this.describeExit(code, signal) };
    });
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  /**
   * Make the release folder `hostDir` visible to this worker; the path as the worker
   * sees it. (Seam with the sandbox, brief decision 2: without a sandbox, `hostDir` itself.)
   */
  async projectPath(hostDir: string): Promise<string> {
    return hostDir;
  }

  /**
   * Does this `ready` frame really come from this spawned process? (Seam with the
   * sandbox, brief decision 2: a per-spawn secret; until then every frame is believed.)
   */
  verifyReady(_msg: Extract<WorkerReply, { type: 'ready' }>): boolean {
    return true;
  }

  /** SIGTERM now, SIGKILL after `graceMs` if still alive. Resolves on exit. */
  async kill(graceMs: number): Promise<WorkerExit> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private describeExit(code: number | null, signal: string | null): string {
    if (this.wedged) return this.wedged;
    if (this.outOfMemory) return 'out of memory';
    if (this.lastFatal) return this.lastFatal;
    if (code === WORKER_EXIT.serverGone) return 'server gone';
    if (signal) return `killed by ${signal}`;
    return `exit code ${code}`;
  }

  /**
   * The worker's lines are JSON from its own pino (with its pid, gen and level):
   * they go to the log as they are, unparsed. Only a fatal line is read, for the exit reason.
   */
  private onStdout(line: string): void {
    if (!line.startsWith('{')) {
      this.log.info({ src: 'stdout' }, line);
      return;
    }
    if (line.includes('"level":60')) this.noteFatal(line);
    (this.log as unknown as Record<symbol, { write(s: string): void }>)[pino.symbols.streamSym]!.write(line + '\n');
  }

  private noteFatal(line: string): void {
    try {
      const entry = JSON.parse(line) as { msg?: string; exitReason?: string; err?: { message?: string } };
      this.lastFatal = `${entry.exitReason ?? entry.msg ?? 'fatal error'}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    } catch {
      this.lastFatal = 'fatal error';
    }
  }

  private onStderr(line: string): void {
    if (/heap out of memory|Reached heap limit/i.test(line)) this.outOfMemory = true;
    this.log.warn({ src: 'stderr' }, line);
  }
}
