/**
 * Where an update's time goes, from the broker's own log lines (info level), in the
 * order of verify-before-swap (server/lifecycle/update.ts): the upload and the unpack
 * (a thread of the server), getting a candidate worker (the standby spare, or a spawn
 * and its boot), the candidate loading the staged release, the swap and promotion, the
 * ack. Read from the tail of app.log right after the update, so log rotation does not
 * get in the way.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface UpdatePhases {
  /** Client send -> the staged release is unpacked and checked (upload, validation, unpack off the event loop). */
  stageMs: number;
  /** -> a candidate worker is ready: a standby spare taken (after a ping), or a process spawned and booted. */
  candidateMs: number;
  /** 1 when a standby spare was the candidate, 0 when a worker had to be spawned (over rounds: the share of updates that used one). */
  standby: number;
  /** -> the candidate has loaded the new project (its `project loaded` line, with the upload's request id). */
  loadMs: number;
  /** -> `current` swapped and the candidate promoted. */
  swapMs: number;
  /** -> the ack is logged. */
  ackMs: number;
}

function tail(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The phases of the first update after `sentAt` (epoch ms), or null when the log does not show them. */
export function updatePhases(logFile: string, sentAt: number): UpdatePhases | null {
  let text: string;
  try {
    text = tail(logFile, 2 * 1024 * 1024); // past the 2,000 calls the bench may make after the update (seq_p99_after_update)
  } catch {
    return null;
  }
  const lines: Array<Record<string, unknown>> = [];
  for (const l of text.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (typeof o.time === 'number' && o.time >= sentAt - 1) lines.push(o);
    } catch {
      // a line cut by the tail
    }
  }
  const find = (pred: (o: Record<string, unknown>) => boolean, after: number) => lines.find((o) => (o.time as number) >= after && pred(o));
  const at = (pred: (o: Record<string, unknown>) => boolean, after: number) => find(pred, after)?.time as number | undefined;
  const staged = find((o) => o.msg === 'update staged', sentAt);
  if (!staged) return null;
  const stagedAt = staged.time as number;
  const reqId = staged.reqId;
  const loading = at((o) => o.msg === 'update: loading the staged release' && o.reqId === reqId, stagedAt);
  const spare = at((o) => o.msg === 'standby worker taken', stagedAt);
  const loaded = at((o) => o.proc === 'worker' && o.msg === 'project loaded' && o.reqId === reqId, loading ?? stagedAt);
  const swapped = at((o) => o.msg === 'update swapped in' && o.reqId === reqId, loaded ?? stagedAt);
  const acked = at((o) => o.command === 'update' && o.reqId === reqId && typeof o.ms === 'number', swapped ?? stagedAt);
  if ([loading, loaded, swapped, acked].some((t) => t === undefined)) return null;
  return {
    stageMs: stagedAt - sentAt,
    candidateMs: loading! - stagedAt,
    standby: spare !== undefined && spare <= loading! ? 1 : 0,
    loadMs: loaded! - loading!,
    swapMs: swapped! - loaded!,
    ackMs: acked! - swapped!,
  };
}
