/**
 * A Foxglove client for the tests: @foxglove/ws-protocol's FoxgloveClient over the `ws`
 * package's WebSocket, as Foxglove Studio speaks to the broker. It keeps the advertised
 * channels and services and what arrives, so a test can wait for conditions.
 */
import WebSocket from 'ws';
import { FoxgloveClient } from '../../dist/server/foxglove/foxglove-server.js';
import type { Channel, Service } from '../../dist/server/foxglove/foxglove-server.js';
import { waitFor } from '../helpers/broker.js';

export interface Received {
  channel: string;
  timestamp: bigint;
  data: unknown;
}

export interface TestFoxglove {
  client: FoxgloveClient;
  channels: Map<number, Channel>;
  services: Map<number, Service>;
  /** Ids of channels unadvertised so far. */
  removed: number[];
  received: Received[];
  statuses: string[];
  topic(name: string): Channel | undefined;
  service(name: string): Service | undefined;
  /** Subscribe to a topic's current channel (waits until it is advertised). */
  subscribe(topic: string): Promise<number>;
  /** Call a service; resolves with the parsed response, rejects with the failure message. */
  call(name: string, request: string): Promise<unknown>;
  close(): void;
}

const decoder = new TextDecoder();

/** Open a connection; rejects with the HTTP status (e.g. "401") when the handshake is refused. */
export function connectFoxglove(url: string, options: { token?: string; bearer?: string; protocols?: string[] } = {}): Promise<TestFoxglove> {
  const target = options.token === undefined ? url : `${url}?token=${encodeURIComponent(options.token)}`;
  const ws = new WebSocket(target, options.protocols ?? [FoxgloveClient.SUPPORTED_SUBPROTOCOL], {
    headers: options.bearer ? { authorization: `Bearer ${options.bearer}` } : {},
  });
  const client = new FoxgloveClient({ ws: ws as never });
  const channels = new Map<number, Channel>();
  const services = new Map<number, Service>();
  const subscriptions = new Map<number, string>();
  const removed: number[] = [];
  const received: Received[] = [];
  const statuses: string[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextCall = 1;
  client.on('advertise', (list) => list.forEach((c) => channels.set(c.id, c)));
  client.on('unadvertise', (ids) => ids.forEach((id) => (channels.delete(id), removed.push(id))));
  client.on('advertiseServices', (list) => list.forEach((s) => services.set(s.id, s)));
  client.on('unadvertiseServices', (ids) => ids.forEach((id) => services.delete(id)));
  client.on('status', (s) => statuses.push(s.message));
  client.on('message', (m) => {
    received.push({ channel: subscriptions.get(m.subscriptionId) ?? '?', timestamp: m.timestamp, data: JSON.parse(decoder.decode(m.data)) });
  });
  client.on('serviceCallResponse', (r) => {
    pending.get(r.callId)?.resolve(JSON.parse(decoder.decode(r.data)));
    pending.delete(r.callId);
  });
  client.on('serviceCallFailure', (f) => {
    pending.get(f.callId)?.reject(new Error(f.message));
    pending.delete(f.callId);
  });
  const t: TestFoxglove = {
    client,
    channels,
    services,
    removed,
    received,
    statuses,
    topic: (name) => [...channels.values()].find((c) => c.topic === name),
    service: (name) => [...services.values()].find((s) => s.name === name),
    subscribe: async (topic) => {
      await waitFor(() => t.topic(topic) !== undefined, 10_000, `channel ${topic}`);
      const id = client.subscribe(t.topic(topic)!.id);
      subscriptions.set(id, topic);
      return id;
    },
    call: async (name, request) => {
      await waitFor(() => t.service(name) !== undefined, 10_000, `service ${name}`);
      const callId = nextCall++;
      const answer = new Promise((resolve, reject) => pending.set(callId, { resolve, reject }));
      client.sendServiceCallRequest({ serviceId: t.service(name)!.id, callId, encoding: 'json', data: new TextEncoder().encode(request) });
      return answer;
    },
    close: () => client.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(String(res.statusCode)));
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
    client.on('open', () => resolve(t));
  });
}
