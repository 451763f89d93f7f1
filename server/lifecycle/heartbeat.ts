/**
 * Is the current worker's event loop alive? Every `intervalMs` the server pings it
 * over the command channel and the worker's event loop answers. A worker silent for
 * `timeoutMs` is wedged (an endless loop in robot code) and is killed.
 *
 * Busy is not wedged. A worker parses every frame it is sent on that same event loop:
 * a legal 40 MB `process` (20,000,000 numbers) takes it seconds of JSON.parse on a
 * loaded 2-core box (6 s measured at load 9, 36 s at load 29), and a ping queued behind
 * that frame cannot be answered meanwhile. So the deadline grows with the frames sent
 * to the worker that it has not yet proved it parsed (frames are handled in order, so
 * a ping's answer proves every frame sent before that ping was): by their size at
 * PARSE_BYTES_PER_MS, or PARSE_VS_ENCODE times what encoding them cost the server,
 * whichever is more (that one follows the machine's load). A wedged worker stays silent
 * whatever it was sent and is still caught, only later after a big frame (100 MB, the
 * largest message, adds 100 s or more): the price of a design that needs nothing from
 * the worker's side, no second channel and no cooperation from robot code.
 *
 * Our own stalls are not the worker's fault: the server parses and validates the same
 * 40 MB before it sends it, and its timers fire late. Silence is therefore counted in
 * the server's own ticks, each worth at most two intervals, so a server that could not
 * listen for 6 s does not blame the worker for those 6 s.
 */
import type { RpcRouter } from '../../ipc/rpc-router.js';

/** How fast a worker is assumed to parse what it is sent, at least: a seventh of what a box at load 9 measured (7 MB/s). */
export const PARSE_BYTES_PER_MS = 1_000; // bytes per ms, 1 MB/s
/**
 * And at most this many times slower than the server encoded the same frame: the server
 * measures the machine's speed right now, the worker does the mirror-image work (at load
 * 29 on 2 cores the server took 20 s to encode 40 MB and the worker 36 s to parse it).
 */
export const PARSE_VS_ENCODE = 8;

export interface HeartbeatFacts {
  /** When the worker last answered (epoch ms), or null. */
  lastPongAt: number | null;
  rttMs: number | null;
  memory: { heapUsed: number; rss: number } | null;
}

export class Heartbeat {
  private target: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  /** Silence since the last answer, in the server's ticks. */
  private silentMs = 0;
  /** Time allowed for parsing what was sent to the target: in all, and for what it has proved it parsed. */
  private owedMs = 0;
  private settledMs = 0;
  private pinging = false;
  private facts: HeartbeatFacts = { lastPongAt: null, rttMs: null, memory: null };

  constructor(
    private readonly router: RpcRouter,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    /** The watched worker is wedged: `why` says for how long it was silent. */
    private readonly onWedged: (routingId: string, why: string) => void,
  ) {}

  start(): void {
    this.lastTick = performance.now();
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.target = null;
  }

  /** Watch this worker from now on (a freshly promoted one counts as having just answered). */
  watch(routingId: string): void {
    this.target = routingId;
    this.silentMs = 0;
    this.owedMs = 0;
    this.settledMs = 0;
    this.pinging = false;
    this.facts = { ...this.facts, lastPongAt: Date.now() };
  }

  unwatch(): void {
    this.target = null;
  }

  /** A frame of `bytes`, which took `encodeMs` to encode, was just sent to `routingId`: it may need longer to answer. */
  sent(routingId: string, bytes: number, encodeMs: number): void {
    if (routingId === this.target) this.owedMs += Math.max(bytes / PARSE_BYTES_PER_MS, PARSE_VS_ENCODE * encodeMs);
  }

  /** Has the watched worker been silent for `ms` of our ticks (plus what it is parsing)? */
  silentFor(ms: number): boolean {
    return this.target !== null && this.silentMs > ms + this.owedMs - this.settledMs;
  }

  get snapshot(): HeartbeatFacts {
    return this.facts;
  }

  private tick(): void {
    const now = performance.now();
    const elapsed = Math.min(now - this.lastTick, 2 * this.intervalMs);
    this.lastTick = now;
    const target = this.target;
    if (!target) return;
    if (this.pinging) {
      this.silentMs += elapsed;
      if (this.silentFor(this.timeoutMs)) {
        this.target = null;
        this.onWedged(target, `heartbeat lost: no answer for ${Math.round(this.silentMs)} ms`);
      }
      return;
    }
    this.pinging = true;
    const sentAt = performance.now();
    // Frames are handled in order: its answer proves everything sent before this ping was parsed.
    const mark = this.owedMs;
    this.router.request(target, 'ping', {}).then(
      (memory) => {
        if (this.target !== target) return;
        this.pinging = false;
        this.silentMs = 0;
        this.settledMs = mark;
        this.facts = { lastPongAt: Date.now(), rttMs: performance.now() - sentAt, memory };
      },
      () => {
        if (this.target === target) this.pinging = false;
      },
    );
  }
}
