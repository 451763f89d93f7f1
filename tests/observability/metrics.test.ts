/** GET /metrics: Prometheus text, the broker token or metrics.token, one registry per broker. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { get, sample } from './helpers.js';

const METRICS_TOKEN = 'scraper-only-token';
let t: TestBroker;
let c: Client;

beforeAll(async () => {
  t = await startTestBroker({ metrics: { token: METRICS_TOKEN } });
});
afterAll(async () => {
  await t?.close();
});

describe('GET /metrics', () => {
  it('needs the broker token or the metrics token; the metrics token opens nothing else', async () => {
    expect((await get(t.url, '/metrics')).status).toBe(401);
    expect((await get(t.url, '/metrics', 'wrong')).status).toBe(401);
    expect((await get(t.url, '/metrics', t.token)).status).toBe(200);
    expect((await get(t.url, '/metrics', METRICS_TOKEN)).status).toBe(200);
    expect((await get(t.url, '/metrics', { query: METRICS_TOKEN })).status).toBe(200);
    expect((await get(t.url, '/stats', METRICS_TOKEN)).status).toBe(401);
    const r = await get(t.url, '/metrics', METRICS_TOKEN);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(r.text, 'robot_control_auth_failures_total', { surface: 'metrics' })).toBe(2);
    expect(sample(r.text, 'robot_control_auth_failures_total', { surface: 'stats' })).toBe(1);
  });

  it('has the /stats figures as counters, gauges and histograms', async () => {
    c = await t.connect();
    expect((await call(c, 'start', {})).status).toBe('success');
    for (let i = 0; i < 3; i++) expect((await callMethod(c, 'sport_client', 'StandUp')).status).toBe('success');
    expect((await callMethod(c, 'sport_client', 'Nope')).status).toBe('error');
    const { text } = await get(t.url, '/metrics', t.token);

    expect(text).toContain('# TYPE robot_control_commands_total counter');
    expect(text).toContain('# TYPE robot_control_method_duration_seconds histogram');
    expect(text).toContain('# TYPE robot_control_worker_up gauge');
    expect(sample(text, 'robot_control_commands_total', { command: 'process', status: 'success' })).toBe(3);
    expect(sample(text, 'robot_control_commands_total', { command: 'process', status: 'error' })).toBe(1);
    expect(sample(text, 'robot_control_commands_total', { command: 'start', status: 'success' })).toBe(1);
    expect(sample(text, 'robot_control_method_calls_total', { method: 'sport_client.StandUp', status: 'success' })).toBe(3);
    expect(sample(text, 'robot_control_method_duration_seconds_count', { method: 'sport_client.StandUp' })).toBe(3);
    expect(sample(text, 'robot_control_method_duration_seconds_bucket', { method: 'sport_client.StandUp', le: '+Inf' })).toBe(3);
    expect(sample(text, 'robot_control_command_duration_seconds_count', { command: 'process' })).toBe(4);
    expect(sample(text, 'robot_control_errors_total', { code: 'E_UNKNOWN_METHOD' })).toBe(1);
    expect(sample(text, 'robot_control_client_connected')).toBe(1);
    expect(sample(text, 'robot_control_client_connections_total', { outcome: 'accepted' })).toBe(1);
    expect(sample(text, 'robot_control_socket_messages_total', { peer: 'client', direction: 'in' })).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'robot_control_socket_bytes_total', { peer: 'client', direction: 'out' })).toBeGreaterThan(0);
    expect(sample(text, 'robot_control_worker_up')).toBe(1);
    expect(sample(text, 'robot_control_worker_state', { state: 'ready' })).toBe(1);
    expect(sample(text, 'robot_control_worker_state', { state: 'failed' })).toBe(0);
    expect(sample(text, 'robot_control_worker_restarts_total')).toBe(0);
    expect(sample(text, 'robot_control_project_info', { type: 'javascript', entry: 'main.js' })).toBe(1);
    expect(sample(text, 'robot_control_uptime_seconds')).toBeGreaterThanOrEqual(0);
    // The process's own figures come along (prom-client's default metrics).
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // Unknown is absent, not 0: no ping has measured the client's round trip yet.
    expect(text).not.toMatch(/^robot_control_client_ping_rtt_seconds /m);
  });

  it('keeps one registry per broker: a second broker in this process starts from zero', async () => {
    const other = await startTestBroker();
    try {
      const { status, text } = await get(other.url, '/metrics', other.token);
      expect(status).toBe(200);
      expect(sample(text, 'robot_control_commands_total', { command: 'process', status: 'success' })).toBeUndefined();
      expect(sample(text, 'robot_control_client_connected')).toBe(0);
      const mine = await get(t.url, '/metrics', t.token);
      expect(sample(mine.text, 'robot_control_commands_total', { command: 'process', status: 'success' })).toBe(3);
    } finally {
      await other.close();
    }
  });
});
