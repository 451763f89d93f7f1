/**
 * SIGINT and SIGTERM always end the server process, with its workers, within
 * STOP_DEADLINE_MS, whatever it is doing:
 *
 * 1. the first signal starts a clean stop: the robot's stop() hooks run, workers exit,
 *    the ipc files go, the log is flushed; then exit 0;
 * 2. a second signal exits at once, workers SIGKILLed (but the same Ctrl+C arriving
 *    twice within ECHO_MS is one signal: npm forwards the terminal's SIGINT to the
 *    script it runs, which the kernel already sent to the whole process group);
 * 3. a clean stop past STOP_DEADLINE_MS ends the same way as 2;
 * 4. if the main thread itself is stuck, a watchdog thread SIGKILLs the process at
 *    WATCHDOG_MS.
 *
 * The handlers are installed before the broker starts, so a signal during start-up is
 * not lost (nor does it kill the process with its workers half started).
 *
 * Why not simply process.exit(): the log transport flushes synchronously in an 'exit'
 * listener, and when the thread behind it cannot drain (stdout is a pipe nobody reads:
 * a harness that stopped reading, npm gone) that flush spins for 10 s, and app.log
 * waits behind stdout. So the flush is bounded here, and when it did not finish the
 * process leaves through process.reallyExit, which skips the 'exit' listeners (the
 * workers are already gone, and execa's child cleanup hooks reallyExit too).
 */
import { Worker } from 'node:worker_threads';
import { withDeadline } from '../ipc/promises.js';

/** From the first signal to a forced exit. */
export const STOP_DEADLINE_MS = 4000;
/** From the first signal to SIGKILL, even if the main thread is stuck. */
export const WATCHDOG_MS = 4700;
/** The same signal again within this is the same stop (npm's echo), not a second one. */
export const ECHO_MS = 250;
/** How long the log may take to flush on the way out. */
export const FLUSH_DEADLINE_MS = 1000;

/** What is stopped: the broker, once it has started. */
export interface StopTarget {
  close(): Promise<void>;
  flushLog(): Promise<void>;
  /** SIGKILL every worker now (synchronous). */
  killWorkers(): void;
}

export class StopSignals {
  private target: StopTarget | null = null;
  private requestedAt = 0;

  constructor(private readonly say: (line: string) => void = (line) => process.stderr.write(`robot-control: ${line}\n`)) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => this.onSignal(signal));
  }

  /** A stop was asked for (the caller should not go on starting up). */
  get requested(): boolean {
    return this.requestedAt > 0;
  }

  /** The broker is up: a stop asked for during start-up runs now. */
  attach(target: StopTarget): void {
    this.target = target;
    if (this.requested) void this.stop();
  }

  /** Leave without the 'exit' listeners (see the file comment). */
  exitNow(code: number): never {
    return (process as unknown as { reallyExit(code: number): never }).reallyExit(code);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.requested) {
      if (Date.now() - this.requestedAt < ECHO_MS) return;
      this.force(signal === 'SIGINT' ? 130 : 143, `second ${signal}: exiting now`);
    }
    this.requestedAt = Date.now();
    startWatchdog(WATCHDOG_MS);
    setTimeout(() => this.force(1, `not stopped within ${STOP_DEADLINE_MS} ms: exiting now`), STOP_DEADLINE_MS).unref();
    if (this.target) void this.stop();
  }

  private async stop(): Promise<void> {
    const target = this.target!;
    let code = 0;
    try {
      await target.close();
    } catch {
      code = 1;
    }
    const flushed = await withDeadline(target.flushLog(), FLUSH_DEADLINE_MS, () => new Error('log flush timed out')).then(
      () => true,
      () => false,
    );
    if (!flushed) {
      this.say(`the log could not be flushed within ${FLUSH_DEADLINE_MS} ms (is stdout read?): exiting without it`);
      this.exitNow(code);
    }
    process.exit(code);
  }

  private force(code: number, why: string): never {
    this.say(why);
    this.target?.killWorkers();
    this.exitNow(code);
  }
}

/** A thread of its own that SIGKILLs this process at `ms`, unless the process has exited first. */
function startWatchdog(ms: number): void {
  const source = `setTimeout(() => process.kill(${process.pid}, 'SIGKILL'), ${ms});`;
  new Worker(source, { eval: true }).unref();
}
