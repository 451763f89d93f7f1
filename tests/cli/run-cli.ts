/** Run the compiled CLI (what `npx robot-control` runs) as a real child process. */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliOptions {
  url?: string;
  token?: string;
  cwd?: string;
}

/** The environment without the user's own ROBOT_CONTROL_* settings, plus the test broker's. */
function env(options: CliOptions): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ROBOT_CONTROL_')) base[k] = v;
  if (options.url) base.ROBOT_CONTROL_URL = options.url;
  if (options.token) base.ROBOT_CONTROL_TOKEN = options.token;
  return base;
}

function start(args: string[], options: CliOptions, timeout: number) {
  return execa('node', [CLI, ...args], { env: env(options), extendEnv: false, cwd: options.cwd, reject: false, timeout, stdin: 'ignore' });
}

/** Run to completion (bounded: 30 s), never rejecting: the test reads exitCode, stdout and stderr. */
export function cli(args: string[], options: CliOptions = {}) {
  return start(args, options, 30_000);
}

/** A long-running command (watch, dev) and its stdout, line by line. */
export interface Running {
  proc: ReturnType<typeof start>;
  lines: string[];
  stderr(): string;
  /** Resolve with the first stdout line (from index `from` on) that matches; reject after `timeoutMs`. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number, from?: number): Promise<string>;
}

export function spawnCli(args: string[], options: CliOptions = {}): Running {
  const proc = start(args, options, 120_000); // afterEach kills it sooner
  const lines: string[] = [];
  let err = '';
  let partial = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return {
    proc,
    lines,
    stderr: () => err,
    waitForLine: async (match, timeoutMs = 15_000, from = 0) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.slice(from).find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline || proc.exitCode !== null) {
          throw new Error(`no matching line within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** A loopback port with nothing listening. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
