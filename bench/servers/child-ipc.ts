/**
 * The server side of a bench child process: report `ready` (with what the bench
 * needs: port, pids) to the parent over Node's IPC channel, answer its requests,
 * and exit when the parent goes.
 */
export type RequestHandler = (type: string, body: unknown) => unknown;

export interface ParentRequest {
  id: number;
  type: string;
  body?: unknown;
}

export function serveParent(info: Record<string, unknown>, handle: RequestHandler): void {
  if (!process.send) throw new Error('a bench server is started by the bench (fork with an IPC channel)');
  process.on('message', (raw) => {
    const req = raw as ParentRequest;
    Promise.resolve()
      .then(() => handle(req.type, req.body))
      .then(
        (result) => process.send?.({ id: req.id, ok: true, result: result ?? null }),
        (err: unknown) => process.send?.({ id: req.id, ok: false, error: String((err as Error)?.stack ?? err) }),
      );
  });
  // The bench died or closed the channel: do not outlive it.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', ...info });
}

/** Read a required environment variable. */
export function env(name: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`bench server: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
}
