/**
 * The Python child of a worker running a Python project: python_runner.py, spoken to
 * in JSON lines over two dedicated pipes (fd 3: commands in, fd 4: messages out), so
 * the child's stdout and stderr stay free for robot prints: they are the worker's own
 * stdout and stderr (robot output, which the server logs and shows as robot_log).
 *
 * Lifecycle: started -> loading -> loaded -> dead. The interpreter starts before it
 * is told its project (`load`), so a spare worker can start one ahead of need (a
 * version manager's shim and the interpreter's own start are most of a Python load).
 * A child that dies while loading is a load error; one that dies (or stops answering
 * pings) once loaded is fatal to the worker, so the supervisor's restart policy
 * applies to Python projects like any other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { WorkerLogger } from '../logger.js';
import { BrokerError } from '../../ipc/errors.js';
import { MAX_EVENT_NAME, RESERVED_EVENTS, type MethodInfo } from '../../ipc/protocol.js';
import type { SourceLocation } from '../stack.js';

/** Commands to the runner. */
export type RunnerCommand =
  | { op: 'load'; root: string; entry: string }
  | { op: 'call'; id: number; req: number; object: string; method: string; args: unknown }
  | { op: 'stop'; id: number; timeoutMs: number }
  | { op: 'ping'; id: number };

export interface PythonError {
  name: string;
  message: string;
  stack?: string;
  /** The innermost line of the project's own code, relative to the project. */
  location?: SourceLocation;
}

/** Messages from the runner. */
export type RunnerMessage =
  | { t: 'loaded'; objects: Record<string, string[]>; methods: Record<string, Record<string, MethodInfo>>; moduleStop: boolean }
  | { t: 'load_error'; file: string; line: number | null; name: string; message: string; stack: string }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; code: string; details?: Record<string, unknown>; error: PythonError }
  | { t: 'stopped'; id: number; ran: string[]; errors: Array<PythonError & { hook: string }> }
  | { t: 'pong'; id: number }
  | { t: 'push'; req: number; event: string; data: unknown; qos?: string }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; msg: string; [field: string]: unknown };

type Reply = Extract<RunnerMessage, { id: number }>;

/** tsc does not copy .py files: next to the compiled module when a build copied it, else at its source location. */
const RUNNER_CANDIDATES = [new URL('./python_runner.py', import.meta.url), new URL('../../../worker/executors/python_runner.py', import.meta.url)];
export const RUNNER_PATH = fileURLToPath(RUNNER_CANDIDATES.find((u) => existsSync(fileURLToPath(u))) ?? RUNNER_CANDIDATES[1]!);

/** RLIMIT_AS counts address space, not heap: room for the interpreter, its libraries and thread stacks. */
export const MEMORY_ALLOWANCE_MB = 256;
const STDERR_TAIL = 20;

export interface PythonChildOptions {
  pythonPath: string;
  /** MiB; 0: no limit. */
  maxMemoryMb: number;
  log: WorkerLogger;
  onPush: (reqId: number, event: string, data: unknown, qos: string | undefined) => void;
}

export class PythonChild {
  /** Resolves with the reason once the child is gone. */
  readonly exited: Promise<string>;
  private state: 'started' | 'loading' | 'loaded' | 'dead' = 'started';
  /** What `load` named, for load errors. */
  private entry = '';
  private readonly child: ChildProcess;
  private readonly commands: Writable;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private nextId = 1;
  private lastPong = 0;
  private killedFor: string | null = null;
  private readonly stderrTail: string[] = [];
  private readonly log: WorkerLogger;
  private heartbeat: NodeJS.Timeout | undefined;
  private settleLoad!: { resolve: (m: Extract<RunnerMessage, { t: 'loaded' }>) => void; reject: (e: BrokerError) => void };
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  constructor(private readonly options: PythonChildOptions) {
    this.log = options.log.child({ module: 'python' });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PYTHONUNBUFFERED: '1', // prints reach the log as they happen
      PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the unpacked project
      PYTHONIOENCODING: 'utf-8',
      MALLOC_ARENA_MAX: '2', // glibc reserves 64 MiB of address space per arena otherwise: RLIMIT_AS would bite
      ROBOT_CONTROL_RUNNER: JSON.stringify({
        reserved: [...RESERVED_EVENTS],
        maxEventName: MAX_EVENT_NAME,
        maxMemoryMb: options.maxMemoryMb,
        memoryAllowanceMb: MEMORY_ALLOWANCE_MB,
      }),
    };
    // stdout is the worker's own (robot output as it is); stderr passes through here too, with its tail kept for load errors.
    this.child = spawn(options.pythonPath, [RUNNER_PATH], {
      env,
      stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'pipe'],
    });
    // The worker may exit any way (process.exit on a fatal path): the child goes with it.
    process.on('exit', this.killOnExit);
    this.commands = this.child.stdio[3] as Writable;
    this.commands.on('error', () => {}); // EPIPE when the child is gone: its exit tells why

    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      process.stderr.write(`${line}\n`);
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    });
    const messages = createInterface({ input: this.child.stdio[4] as Readable });
    messages.on('line', (line) => this.onLine(line));
    // Only the runner holds fd 4 (it is not inherited by robot subprocesses): it closes when the runner dies.
    const messagesClosed = new Promise<void>((resolve) => messages.once('close', resolve));

    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        // Spawning failed (ENOENT, EACCES): there is no exit event.
        this.loadFailed(this.loadError(`cannot start Python (${options.pythonPath}): ${err.message}`));
        this.gone(`cannot start Python: ${err.message}`, resolve);
      });
      this.child.once('exit', (code, signal) => {
        const reason = this.killedFor ?? (signal ? `python killed by ${signal}` : `python exited with code ${code}`);
        // Read what the runner wrote before it died (a load error, the last pushes) before deciding.
        void Promise.race([messagesClosed, delay(500)]).then(() => {
          this.loadFailed(this.loadError(`${reason} while loading`));
          this.gone(reason, resolve);
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Still started and waiting for its project: can `load` one. */
  get available(): boolean {
    return this.state === 'started';
  }

  /**
   * Load the project in `root` (its real path: the child's working directory and
   * sys.path[0]), once. Resolves with what it exposes; rejects E_PROJECT_LOAD.
   */
  load(root: string, entry: string): Promise<Extract<RunnerMessage, { t: 'loaded' }>> {
    if (this.state !== 'started') return Promise.reject(new BrokerError('E_INTERNAL', `the Python runner cannot load a project now (${this.state})`));
    this.state = 'loading';
    this.entry = entry;
    const loaded = new Promise<Extract<RunnerMessage, { t: 'loaded' }>>((resolve, reject) => {
      this.settleLoad = { resolve, reject };
    });
    this.send({ op: 'load', root, entry });
    return loaded;
  }

  /** Send a command; resolves with the runner's reply. */
  request<R extends Reply>(command: DistributiveOmit<Extract<RunnerCommand, { op: 'call' | 'stop' }>, 'id'>): Promise<R> {
    if (this.state !== 'loaded') return Promise.reject(new BrokerError('E_INTERNAL', 'the Python runner is not running'));
    const id = this.nextId++;
    return new Promise<R>((resolve) => {
      this.pending.set(id, resolve as (r: Reply) => void);
      this.send({ ...command, id } as RunnerCommand);
    });
  }

  /** Ping the runner every `intervalMs`; kill it when no pong came for `timeoutMs`. */
  watch(intervalMs: number, timeoutMs: number): void {
    this.lastPong = Date.now();
    let expected = Date.now() + intervalMs;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      // Our own event loop was blocked: a pong may be sitting unread in the pipe. Do not blame Python.
      if (now - expected > intervalMs) this.lastPong = now;
      expected = now + intervalMs;
      if (now - this.lastPong > timeoutMs) {
        this.kill(`python wedged: no answer to a ping for ${now - this.lastPong} ms`);
        return;
      }
      this.send({ op: 'ping', id: 0 });
    }, intervalMs);
    this.heartbeat.unref();
  }

  kill(reason: string): void {
    if (this.state === 'dead') return;
    this.killedFor ??= reason;
    this.child.kill('SIGKILL');
  }

  private send(command: RunnerCommand): void {
    if (this.commands.writable) this.commands.write(`${JSON.stringify(command)}\n`);
  }

  private onLine(line: string): void {
    let msg: RunnerMessage;
    try {
      msg = JSON.parse(line) as RunnerMessage;
    } catch {
      this.log.warn({ line: line.slice(0, 200) }, 'python runner: unreadable message');
      return;
    }
    switch (msg.t) {
      case 'push':
        this.options.onPush(msg.req, msg.event, msg.data, msg.qos);
        return;
      case 'pong':
        this.lastPong = Date.now();
        return;
      case 'log': {
        const { t: _t, level, msg: text, ...fields } = msg;
        this.log[level === 'warn' || level === 'error' ? level : 'info'](fields, text);
        return;
      }
      case 'loaded':
        if (this.state !== 'loading') return;
        this.state = 'loaded';
        this.settleLoad.resolve(msg);
        return;
      case 'load_error':
        this.loadFailed(
          new BrokerError('E_PROJECT_LOAD', `${msg.line ? `${msg.file}:${msg.line}` : msg.file}: ${msg.name}: ${msg.message}`, {
            file: msg.file,
            line: msg.line,
            error: { name: msg.name, message: msg.message, stack: msg.stack },
          }),
        );
        return;
      default: {
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        resolve?.(msg);
      }
    }
  }

  /** While loading: the load fails with `err` and the child is killed. Later: nothing. */
  private loadFailed(err: BrokerError): void {
    if (this.state !== 'loading') return;
    this.settleLoad.reject(err);
    this.kill('load failed');
  }

  private loadError(why: string): BrokerError {
    const stderr = this.stderrTail.join('\n');
    const entry = this.entry;
    return new BrokerError('E_PROJECT_LOAD', stderr ? `${entry}: ${why}\n${stderr}` : `${entry}: ${why}`, {
      file: entry,
      line: null,
      ...(stderr ? { stderr } : {}),
    });
  }

  private gone(reason: string, resolve: (reason: string) => void): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    clearInterval(this.heartbeat);
    process.off('exit', this.killOnExit);
    resolve(reason);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
