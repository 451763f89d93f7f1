/**
 * `watch` and the broker's replay (docs/REPLAY.md): the compiled CLI in its own process, a real
 * broker whose ring keeps 20 events. Cut off and kept out while 50 are pushed, watch comes
 * back, says on stderr exactly which seqs were lost, and prints the 20 retained, in order.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { useStreamBroker } from '../client/push-stream.js';
import { spawnCli } from './run-cli.js';

const sb = useStreamBroker({ replay: { max_events: 20 } });

const parse = (line: string) => JSON.parse(line) as { event: string; data: { i?: number; from?: number; to?: number; reason?: string }; seq?: number };

describe('watch across a dropped connection', { timeout: 60_000 }, () => {
  it('names the lost seqs on stderr (and prints the replay_gap), then the retained events in order', async () => {
    const w = spawnCli(['watch', '--client-id', 'watch-replay'], { url: sb.t.url, token: sb.t.token });
    try {
      await w.waitForLine((l) => parse(l).event === 'replay_info');
      const seen = await sb.flood(5);
      await w.waitForLine((l) => parse(l).data.i === 4);

      const release = sb.holdNextConnection('watch-replay');
      sb.cut('watch-replay');
      await waitFor(() => /disconnected: .*\[transport close\]; reconnecting/.test(w.stderr()), 15_000, 'watch to see the drop');
      const mark = w.lines.length;
      const last = await sb.flood(50, 5);
      release();
      await w.waitForLine((l) => parse(l).data.i === 54, 20_000, mark);

      // 30 of the 50 left the ring: exactly those are named.
      const lost = { from: seen + 1, to: last - 20 };
      expect(w.stderr()).toContain(`robot-control: lost seq ${lost.from}..${lost.to} (30 events): `);
      expect(w.stderr()).toContain(`robot-control: replaying 20 events missed while disconnected (seq ${last - 19}..${last})`);
      const after = w.lines.slice(mark).map(parse).filter((l) => l.event === 'replay_gap' || l.event === 'n');
      expect(after[0]).toMatchObject({ event: 'replay_gap', data: { ...lost, reason: 'evicted' } });
      expect(after.slice(1).map((l) => l.data.i)).toEqual(Array.from({ length: 20 }, (_, k) => 35 + k));
      expect(after.slice(1).map((l) => l.seq)).toEqual(Array.from({ length: 20 }, (_, k) => last - 19 + k));
    } finally {
      w.proc.kill('SIGKILL');
      await w.proc;
    }
  });
});
