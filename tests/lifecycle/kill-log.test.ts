/**
 * Every command is logged (events.log and app.log), and a server killed with SIGKILL
 * loses none of the lines of commands it had answered more than LOG_WINDOW_MS before:
 * the journal hands a command's line to the logger in the turn its ack leaves in, and the
 * thread writes it out within that window (docs/OBSERVABILITY.md, "Log files"). A real server
 * process, a real client, SIGKILL `LOG_WINDOW_MS` after the last ack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterEach, expect, it } from 'vitest';
import { killLeftovers, startServerProcess } from './server-process.js';

/** The documented bound: a line is on disk this long after its command's ack at the latest. */
const LOG_WINDOW_MS = 50;
const CALLS = 300;

afterEach(killLeftovers);

function commandLines(file: string): Array<{ reqId: number; outcome: string }> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.includes('"event":"command"'))
    .map((l) => JSON.parse(l) as { reqId: number; outcome: string });
}

it(`a server SIGKILLed ${LOG_WINDOW_MS} ms after its last ack has logged every command it answered`, async () => {
  const s = await startServerProcess({ env: { LOG_LEVEL: 'info' } });
  const c = io(s.url, { auth: { token: s.token }, transports: ['websocket'], reconnection: false });
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('connect_error', reject);
    });
    let ok = 0;
    for (let i = 0; i < CALLS; i++) {
      const ack = (await c.timeout(20_000).emitWithAck('process', { params: { object: 'sport_client', method: 'GetStatus' } })) as { status: string };
      if (ack.status === 'success') ok++;
    }
    expect(ok).toBe(CALLS);
    await new Promise((r) => setTimeout(r, LOG_WINDOW_MS)); // the bound under test, not a wait for a condition
    process.kill(s.pgid, 'SIGKILL');
    await s.exited;
  } finally {
    c.close();
  }
  for (const file of ['app.log', 'events.log']) {
    const lines = commandLines(join(s.dir, 'logs', file)).filter((l) => l.outcome === 'success');
    expect(lines.length, `${file}: command lines of the ${CALLS} answered calls`).toBe(CALLS);
    expect(new Set(lines.map((l) => l.reqId)).size, file).toBe(CALLS);
  }
}, 60_000);
