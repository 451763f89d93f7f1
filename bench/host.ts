/** Start a bench server as a child process (fork) and talk to it over the IPC channel. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerHandle<Info> {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly info: Info;
  request<T = unknown>(type: string, body?: unknown, timeoutMs?: number): Promise<T>;
  /** Ask it to stop, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
  startTimeoutMs?: number;
}

/** A script under dist/bench/servers/. */
export function serverScript(name: string): string {
  return fileURLToPath(new URL(`./servers/${name}.js`, import.meta.url));
}

export function startServer<Info>(name: string, script: string, options: StartOptions = {}): Promise<ServerHandle<Info>> {
  const child = fork(script, [], {
    env: { ...process.env, ...options.env },
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (raw) => {
    const m = raw as { id?: number; ok?: boolean; result?: unknown; error?: string };
    if (m.id === undefined) return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m.result);
    else w?.reject(new Error(`${name}: ${m.error}`));
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`${name} exited (${signal ?? code})`));
    waiting.clear();
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${options.startTimeoutMs ?? 60_000} ms`));
    }, options.startTimeoutMs ?? 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited during start (${signal ?? code})`));
    });
    const onReady = (raw: unknown) => {
      const m = raw as { type?: string };
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', onReady);
      const handle: ServerHandle<Info> = {
        name,
        child,
        pid: child.pid!,
        info: m as Info,
        request: <T>(type: string, body?: unknown, timeoutMs = 30_000) =>
          new Promise<T>((res, rej) => {
            const id = nextId++;
            const t = setTimeout(() => {
              waiting.delete(id);
              rej(new Error(`${name}: ${type} did not answer within ${timeoutMs} ms`));
            }, timeoutMs);
            waiting.set(id, {
              resolve: (v) => {
                clearTimeout(t);
                res(v as T);
              },
              reject: (e) => {
                clearTimeout(t);
                rej(e);
              },
            });
            child.send({ id, type, body });
          }),
        stop: async (graceMs = 5000) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          await handle.request('stop', undefined, graceMs).catch(() => {});
          const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
          if (!gone) {
            child.kill('SIGKILL');
            await exited;
          }
        },
      };
      resolve(handle);
    };
    child.on('message', onReady);
  });
}
