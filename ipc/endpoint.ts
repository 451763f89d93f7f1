/**
 * ipc:// endpoints are files. A broker that was SIGKILLed leaves them behind; a
 * stale one must not block the next start, but a live broker's must not be stolen.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';

/** The socket file behind an `ipc://` endpoint, or null for tcp:// and inproc://. */
export function ipcPath(endpoint: string): string | null {
  return endpoint.startsWith('ipc://') ? endpoint.slice('ipc://'.length) : null;
}

/** True when something accepts connections on the unix socket at `path`. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Make an endpoint bindable: create its folder and remove a stale socket file. */
export async function prepareBind(endpoint: string): Promise<void> {
  const path = ipcPath(endpoint);
  if (!path) return;
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) return;
  if (await isLive(path)) throw new Error(`${endpoint} is in use by another running broker`);
  rmSync(path, { force: true });
}

/** Remove the socket file of a bound ipc endpoint (zeromq does not always unlink it). */
export function removeEndpointFile(endpoint: string): void {
  const path = ipcPath(endpoint);
  if (path) rmSync(path, { force: true });
}
