/**
 * For the tests of the push stream (docs/REPLAY.md) from the SDK's and the CLI's side: a real
 * broker with a robot that floods numbered events, a controller (`driver`) that calls it, and
 * ways to cut a client's link and to keep it out until the test lets it back in.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { RobotClient } from '../../dist/client/index.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { zipFiles } from '../helpers/zip.js';

export const STREAM_ROBOT = `
exports.robot = {
  flood(n, from = 0) { for (let i = from; i < from + n; i++) pushMessage('n', { i }); return n; },
  mark() { pushMessage('mark', {}); return true; },
  async poses(n, ms) {
    for (let i = 0; i < n; i++) {
      pushMessage('pose', { i }, { qos: 'latest' });
      await new Promise((r) => setTimeout(r, ms));
    }
    return n;
  },
};
`;

export interface StreamBroker {
  t: TestBroker;
  /** The controller, with STREAM_ROBOT loaded. */
  driver: RobotClient;
  /** Cut the transport of the client with this clientId from the broker's side, as a dropped Wi-Fi link would. */
  cut(clientId: string): void;
  /** Hold the next connection of this clientId in the handshake (before its replay starts) until released. */
  holdNextConnection(clientId: string): () => void;
  /** Push events `from`..`from + n - 1` and wait until the driver has the last (so the ring has them); its seq. */
  flood(n: number, from?: number): Promise<number>;
}

/** A StreamBroker for the file (or describe block): started before its tests, closed after. */
export function useStreamBroker(overrides: Parameters<typeof startTestBroker>[0] = {}): StreamBroker {
  let t: TestBroker | undefined;
  let driver: RobotClient | undefined;
  beforeAll(async () => {
    t = await startTestBroker(overrides);
    driver = new RobotClient({ url: t.url, token: t.token, callTimeoutMs: 60_000 });
    await driver.update(zipFiles({ 'main.js': STREAM_ROBOT }));
  });
  afterAll(async () => {
    await driver?.close();
    await t?.close();
  });
  const sb: StreamBroker = {
    get t() {
      return t!;
    },
    get driver() {
      return driver!;
    },
    cut(clientId) {
      const sockets = [...sb.t.broker.io.of('/').sockets.values()].filter((s) => s.handshake.auth.clientId === clientId);
      expect(sockets).toHaveLength(1);
      sockets[0]!.conn.close();
    },
    holdNextConnection(clientId) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let armed = true;
      sb.t.broker.io.use((socket, next) => {
        if (!armed || socket.handshake.auth.clientId !== clientId) return next();
        armed = false;
        void released.then(() => next());
      });
      return release;
    },
    async flood(n, from = 0) {
      let last = false;
      const onN = (data: unknown) => (last ||= (data as { i: number }).i === from + n - 1);
      sb.driver.on('n', onN);
      try {
        expect(await sb.driver.call('robot', 'flood', [n, from])).toBe(n);
        await waitFor(() => last, 30_000, "the driver to receive the flood's last event");
      } finally {
        sb.driver.off('n', onN);
      }
      return sb.driver.lastSeq!;
    },
  };
  return sb;
}
