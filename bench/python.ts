/**
 * Python projects against JavaScript ones, in the same broker and the same round: the
 * bench project's `bench.echo` in each language, `process` p50 over the same calls,
 * and update -> ready for a project of the language already running (the `dev` loop:
 * save, upload again), whose spare was started for that language.
 */
import type { Socket } from 'socket.io-client';
import * as client from './client.js';
import { pythonProjectZip, smallProjectZip } from './project.js';
import { percentile } from './stats.js';

type Add = (key: string, side: 'broker' | 'floor', value: number) => void;

/**
 * `settleMs` after each upload: a developer's saves are seconds apart, and the spare
 * boots meanwhile (a Python one starts its interpreter), not during the calls.
 */
export async function measurePython(socket: Socket, round: number, calls: number, settleMs: number, timeoutMs: number, add: Add): Promise<void> {
  const languages = [
    { side: 'floor' as const, zip: smallProjectZip() },
    { side: 'broker' as const, zip: pythonProjectZip() },
  ];
  // Alternate which goes first; end on JavaScript, which the other figures run.
  const order = round % 2 === 1 ? [languages[1]!, languages[0]!] : [languages[0]!, languages[1]!, languages[0]!];
  for (const [i, { side, zip }] of order.entries()) {
    await client.upload(socket, zip, timeoutMs);
    if (i === 2) return; // back to JavaScript, untimed
    await new Promise((r) => setTimeout(r, settleMs));
    add('py_update_ready', side, await client.upload(socket, zip, timeoutMs));
    await new Promise((r) => setTimeout(r, settleMs));
    const r = await client.sequential(socket, calls, timeoutMs);
    if (r.truncated) throw new Error(`truncated at ${r.latenciesUs.length} calls`);
    add('py_seq_p50', side, percentile(r.latenciesUs, 50));
  }
}
