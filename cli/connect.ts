/** Make and connect a RobotClient for a command, saying on stderr why it is waiting. */
import { RobotClient } from '../client/robot-client.js';
import type { ClientRole } from '../ipc/protocol.js';
import type { ConnectionSettings } from './options.js';
import { err } from './output.js';

/**
 * A client, not yet connected: listeners added now see everything from the first packet on.
 * `observer` for commands that only watch (or take the lease themselves, as `dev` does).
 */
export function createClient(settings: ConnectionSettings, role: ClientRole = 'controller'): RobotClient {
  const client = new RobotClient({
    url: settings.url,
    token: settings.token,
    clientId: settings.clientId,
    callTimeoutMs: settings.callTimeoutMs,
    role,
  });
  let said = '';
  client.on('connect_error', (e) => {
    // Once per kind of trouble, not once per retry.
    if (e.code === said || e.code === 'E_UNAUTHORIZED') return;
    said = e.code;
    err(`robot-control: ${e.message}; ${e.code === 'E_BUSY' ? 'waiting' : 'retrying'}...`);
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
