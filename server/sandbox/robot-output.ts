/**
 * Robot output: every line robot code (or anything it started) writes to the worker's
 * stdout or stderr. Logged as `src: "robot"` with the generation and shown to the
 * controlling client and /monitor as `robot_log`, with secrets redacted. A token
 * bucket per worker bounds what a print loop can cost the broker (log disk, client
 * bandwidth); the excess is counted and reported as one line, and the limit never
 * slows the robot: the server keeps reading its pipes at full speed and drops instead.
 */
import type { RobotLogLine } from '../../ipc/protocol.js';
import type { Redactor } from './redact.js';
import { TokenBucket } from './token-bucket.js';
import type { WorkerLogWriter } from './worker-log.js';

/** Lines per second, on average, per worker. */
export const ROBOT_LOG_RATE = 200;
/** Lines a worker may write at once above the rate (a stack trace, a start-up banner). */
export const ROBOT_LOG_BURST = 500;
/** How soon a burst's drop count is reported when no further line comes. */
const REPORT_AFTER_MS = 1000;

export type RobotLogSink = (line: RobotLogLine) => void;

export class RobotOutput {
  /** Lines dropped since the last report. */
  private dropped = 0;
  private readonly bucket = new TokenBucket(ROBOT_LOG_RATE, ROBOT_LOG_BURST);
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly generation: number,
    private readonly log: WorkerLogWriter,
    private readonly redact: Redactor,
    private readonly sink: RobotLogSink,
  ) {}

  line(stream: 'stdout' | 'stderr', text: string): void {
    const now = Date.now();
    if (!this.bucket.take(now)) {
      this.dropped++;
      this.reportTimer ??= setTimeout(() => this.report(Date.now()), REPORT_AFTER_MS).unref();
      return;
    }
    if (this.dropped > 0) this.report(now);
    this.deliver(stream, this.redact(text), now);
  }

  /** Stop the pending report (the worker is gone); what was dropped is still told. */
  close(): void {
    if (this.dropped > 0) this.report(Date.now());
    clearTimeout(this.reportTimer);
  }

  private report(now: number): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    if (this.dropped === 0) return;
    const n = this.dropped;
    this.dropped = 0;
    this.deliver('stderr', `[robot-control] ${n} line${n === 1 ? '' : 's'} of robot output dropped (more than ${ROBOT_LOG_RATE} lines/s)`, now);
  }

  private deliver(stream: 'stdout' | 'stderr', line: string, ts: number): void {
    this.log.robot(stream, line);
    this.sink({ stream, line, ts, generation: this.generation });
  }
}
