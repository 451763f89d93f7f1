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
 * not lost: it exits at once (nothing runs yet that a polite stop would help; execa's
 * exit hook ends the workers already spawned, and the next start repairs storage and
 * removes stale ipc files).
 *
 * Why not process.exit(): pino's transport ends itself in an 'exit' listener by
 * spinning the main thread (Atomics.wait) until every target has finished, up to 10 s
 * for the flush and 10 s more for the end. When the console target cannot drain
 * (stdout is a pipe nobody reads: a harness that stopped reading, or one that went
 * away), that is 10 to 20 s of a process that logged "broker stopped" and does not
 * exit. So the log is flushed here, asynchronously and with a deadline (every line
 * has then reached app.log's target), and the process leaves through
 * process.reallyExit, which skips the 'exit' listeners (the workers are gone already,
 * and execa's child cleanup hooks reallyExit too).
 */
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { sleep, withDeadline } from '../ipc/promises.js';

/** From the first signal to a forced exit (the workers then need a moment to be reaped too). */
export const STOP_DEADLINE_MS = 3500;
/** From the first signal to SIGKILL, even if the main thread is stuck. */
export const WATCHDOG_MS = 4500;
/** The same signal again within this is the same stop (npm's echo), not a second one. */
export const ECHO_MS = 250;
/** How long the log may take to flush on the way out. */
export const FLUSH_DEADLINE_MS = 1000;
/** After the flush, a moment for the log thread to write its last batch out (it batches by the tick). */
const LAST_BATCH_MS = 100;

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

  // writeSync: the process may leave right after, before an asynchronous write would be flushed.
  constructor(private readonly say: (line: string) => void = (line) => writeSync(2, `robot-control: ${line}\n`)) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => this.onSignal(signal));
  }

  /** The broker is up: from now on a signal stops it cleanly. */
  attach(target: StopTarget): void {
    this.target = target;
  }

  /** Leave without the 'exit' listeners (see the file comment). */
  private exitNow(code: number): never {
    return (process as unknown as { reallyExit(code: number): never }).reallyExit(code);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.requestedAt > 0) {
      if (Date.now() - this.requestedAt < ECHO_MS) return;
      this.force(signal === 'SIGINT' ? 130 : 143, `second ${signal}: exiting now`);
    }
    this.requestedAt = Date.now();
    if (!this.target) this.force(signal === 'SIGINT' ? 130 : 143, `${signal} during start-up: exiting now`);
    startWatchdog(WATCHDOG_MS);
    setTimeout(() => this.force(1, `not stopped within ${STOP_DEADLINE_MS} ms: exiting now`), STOP_DEADLINE_MS).unref();
    void this.stop();
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
    if (flushed) await sleep(LAST_BATCH_MS);
    else this.say(`the log could not be flushed within ${FLUSH_DEADLINE_MS} ms (is stdout read?): exiting without it`);
    this.exitNow(code);
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
