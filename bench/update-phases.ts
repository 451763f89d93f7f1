/**
 * Where an update's time goes, from the broker's own log lines (info level): the
 * upload and unpack, retiring the old worker, promoting the standby spare (or
 * spawning a worker and its boot to "worker ready"), loading the project, the ack. Read from the tail of app.log
 * right after the update, so log rotation does not get in the way.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface UpdatePhases {
  /** Client send -> supervisor enters `restarting` (upload, validation, unpack in the old worker). */
  unpackMs: number;
  /** -> the old worker has exited (polite shutdown). */
  retireMs: number;
  /** -> the new worker is in place: a standby spare promoted, or a process spawned. */
  replaceMs: number;
  /** -> a spawned worker says ready (node boot, imports, storage init, ZeroMQ); 0 for a promoted spare. */
  bootMs: number;
  /** 1 when a standby spare was promoted, 0 when a worker had to be spawned (over rounds: the share of updates that used one). */
  standby: number;
  /** -> the project is loaded (the `start` call). */
  loadMs: number;
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
    text = tail(logFile, 256 * 1024);
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
  const at = (pred: (o: Record<string, unknown>) => boolean, after: number) => lines.find((o) => (o.time as number) >= after && pred(o))?.time as number | undefined;
  const restarting = at((o) => o.msg === 'worker state' && o.to === 'restarting' && o.reason === 'update', sentAt);
  if (restarting === undefined) return null;
  const exited = at((o) => o.msg === 'worker exited', restarting);
  const promoted = at((o) => o.msg === 'standby worker promoted', exited ?? restarting);
  const spawned = promoted ?? at((o) => o.msg === 'worker spawned', exited ?? restarting);
  const ready = promoted ?? at((o) => o.proc === 'worker' && o.msg === 'worker ready', spawned ?? restarting);
  const loaded = at((o) => o.msg === 'project loaded', ready ?? restarting);
  const acked = at((o) => o.command === 'update' && typeof o.ms === 'number', loaded ?? restarting);
  if ([exited, spawned, ready, loaded, acked].some((t) => t === undefined)) return null;
  return {
    unpackMs: restarting - sentAt,
    retireMs: exited! - restarting,
    replaceMs: spawned! - exited!,
    bootMs: ready! - spawned!,
    loadMs: loaded! - ready!,
    ackMs: acked! - loaded!,
    standby: promoted === undefined ? 0 : 1,
  };
}
