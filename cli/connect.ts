/** Make and connect a RobotClient for a command, saying on stderr why it is waiting. */
import { RobotClient } from '../client/index.js';
import type { ConnectionSettings } from './options.js';
import { err } from './output.js';

/** A client, not yet connected: listeners added now see everything from the first packet on. */
export function createClient(settings: ConnectionSettings): RobotClient {
  const client = new RobotClient({
    url: settings.url,
    token: settings.token,
    clientId: settings.clientId,
    callTimeoutMs: settings.callTimeoutMs,
  });
  let said = '';
  client.on('connect_error', (e) => {
    // Once per kind of trouble, not once per retry.
    if (e.code === said || e.code === 'E_UNAUTHORIZED') return;
    said = e.code;
    err(e.code === 'E_BUSY' ? 'robot-control: busy: another client holds the robot; waiting...' : `robot-control: ${e.message}; retrying...`);
  });
  return client;
}

/** Connect within `--wait` (retrying "busy" and unreachable brokers until then). */
export function connectClient(client: RobotClient, settings: ConnectionSettings): Promise<void> {
  return client.connect({ timeoutMs: settings.waitMs === 0 ? undefined : settings.waitMs });
}

export async function openClient(settings: ConnectionSettings): Promise<RobotClient> {
  const client = createClient(settings);
  await connectClient(client, settings);
  return client;
}
