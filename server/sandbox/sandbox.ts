/**
 * The containment every worker process runs in, decided once per broker: the mode
 * (bubblewrap or none), the command line and environment of each spawn, where its
 * project slot is, and how its output enters the broker (robot-output.ts,
 * worker-log.ts). WorkerProcess asks it for each generation; docs/SECURITY.md says
 * what each mode lets robot code do.
 */
import { accessSync, constants, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { ipcPath } from '../../ipc/endpoint.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { bwrapArgs, INSIDE, interpreterBinds, notHideable, type AllowPath } from './bwrap.js';
import { workerEnvironment } from './environment.js';
import { BWRAP, resolveSandbox, type SandboxMode } from './mode.js';
import { ProjectSlot } from './project-slot.js';
import { makeRedactor, type Redactor } from './redact.js';
import { RobotOutput, type RobotLogSink } from './robot-output.js';
import { WorkerLogWriter } from './worker-log.js';

export interface WorkerSandboxOptions {
  config: Config;
  /** Values never to appear in a worker's lines (the tokens). */
  secrets: readonly string[];
  /** Where robot output goes besides the log (the controlling client, /monitor). */
  onRobotLog: RobotLogSink;
  /** The package's folder (dist/, node_modules, package.json are bound back from it). */
  packageRoot: string;
  /** The built-in default project. */
  defaultProject: string;
}

/** One worker's spawn: the command, its environment and working folder, and its project slot (bwrap only). */
export interface SpawnPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  slot: ProjectSlot | null;
}

export class WorkerSandbox {
  readonly redact: Redactor;
  /** Asked to be hidden but left visible (a config in /etc): said at start. */
  readonly visible: string[];

  private constructor(
    readonly mode: SandboxMode,
    readonly warning: string | null,
    private readonly o: WorkerSandboxOptions,
    private readonly hide: string[],
    private readonly expose: string[],
  ) {
    this.redact = makeRedactor(o.secrets);
    this.visible = mode === 'bwrap' ? notHideable(hide) : [];
  }

  static async create(o: WorkerSandboxOptions): Promise<WorkerSandbox> {
    const w = o.config.worker;
    const { mode, warning } = await resolveSandbox(w.sandbox);
    if (mode === 'bwrap' && !w.network) {
      const tcp = [o.config.ipc.command_socket, o.config.ipc.callback_socket].filter((e) => !ipcPath(e));
      if (tcp.length) throw new Error(`worker.network is false, so a sandboxed worker cannot reach ${tcp.join(', ')}: use ipc:// endpoints`);
    }
    mkdirSync(w.data_dir, { recursive: true });
    ProjectSlot.clearAll(w.storage_dir);
    const log = o.config.log;
    const hide = [o.config.baseDir, dirname(log.file), dirname(log.events_file), w.storage_dir, w.data_dir, o.config.recording.dir, o.packageRoot];
    const root = o.packageRoot;
    const python = findExecutable(w.python, process.env.PATH ?? '');
    const code = [join(root, 'dist'), join(root, 'package.json'), join(root, 'worker', 'executors', 'python_runner.py'), o.defaultProject, ...nodeModulesUp(root)];
    const interpreters = [process.execPath, ...(python ? [python, realpathOr(python)] : [])];
    const sockets = [o.config.ipc.command_socket, o.config.ipc.callback_socket].map(ipcPath).filter((p): p is string => p !== null);
    const expose = [...code, ...interpreterBinds(interpreters, hide), ...sockets];
    return new WorkerSandbox(mode, warning, o, hide, expose);
  }

  /** How to start worker `generation` running `node <nodeArgs>`. */
  plan(generation: number, nodeArgs: string[]): SpawnPlan {
    const w = this.o.config.worker;
    if (this.mode === 'none') {
      const env = workerEnvironment(process.env, { extra: w.env_allow, fixed: { ...optional('HOME', process.env.HOME), ROBOT_DATA_DIR: w.data_dir } });
      return { file: process.execPath, args: nodeArgs, env, cwd: w.data_dir, slot: null };
    }
    const slot = ProjectSlot.create(w.storage_dir, generation);
    const args = bwrapArgs({
      hide: this.hide,
      expose: this.expose,
      dataDir: w.data_dir,
      slotDir: slot.hostDir,
      allowPaths: w.allow_paths.map(parseAllowPath),
      network: w.network,
    });
    const env = workerEnvironment(process.env, { extra: w.env_allow, fixed: { HOME: INSIDE.tmp, TMPDIR: INSIDE.tmp, ROBOT_DATA_DIR: INSIDE.data } });
    return { file: BWRAP, args: [...args, '--', process.execPath, ...nodeArgs], env, cwd: w.data_dir, slot };
  }

  /** How worker `generation`'s lines enter `log` (the broker's root logger). */
  writer(log: Logger, generation: number, pid: () => number | null): WorkerLogWriter {
    return new WorkerLogWriter(log, this.redact, generation, pid);
  }

  /** Worker `generation`'s robot output. */
  output(generation: number, writer: WorkerLogWriter): RobotOutput {
    return new RobotOutput(generation, writer, this.redact, this.o.onRobotLog);
  }
}

/** `"/dev/ttyUSB0"` (read-write) or `"/opt/sdk:ro"` (read-only). */
export function parseAllowPath(entry: string): AllowPath {
  return entry.endsWith(':ro') ? { path: entry.slice(0, -3), writable: false } : { path: entry, writable: true };
}

/** The first executable `name` on `path` (or `name` itself when it has a slash). */
export function findExecutable(name: string, path: string): string | null {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(isAbsolute).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

/** Every node_modules folder from `dir` up: where Node resolves the worker's imports. */
function nodeModulesUp(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (safeList(d).includes('node_modules')) out.push(join(d, 'node_modules'));
    if (dirname(d) === d) return out;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function optional(key: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [key]: value };
}
