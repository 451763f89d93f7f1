/**
 * The server hands its log lines to the transport thread in batches of up to 10 ms
 * (server/log-batch.ts): a process that ends meanwhile must still write them. Real
 * processes, each logging through createLogger and then leaving while lines wait.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/broker.js';

const LOGGER = pathToFileURL(join(import.meta.dirname, '../../dist/server/logger.js')).href;
const LINES = 500;

/** Run a process that logs LINES lines, then does `leave`; the lines its app.log got. */
function linesAfter(leave: string): { status: number | null; lines: Array<{ msg: string; n?: number }> } {
  const file = join(tempDir('rc-log-batch-'), 'app.log');
  const script = `
    import { createLogger } from ${JSON.stringify(LOGGER)};
    const log = createLogger({ file: ${JSON.stringify(file)}, level: 'info', console: false });
    for (let n = 0; n < ${LINES}; n++) log.info({ n }, 'line');
    ${leave}
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return { status: run.status, lines: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; n?: number }) };
}

it.each([
  ['an uncaught exception', "setImmediate(() => { throw new Error('boom'); });", 1],
  ['process.exit()', 'process.exit(3);', 3],
  ['a fatal line (pino writes it at once)', "log.fatal('the end'); process.exit(4);", 4],
])('lines still waiting in the batch when the process ends by %s are written', (_how, leave, status) => {
  const run = linesAfter(leave);
  expect(run.status).toBe(status);
  expect(run.lines.filter((l) => l.msg === 'line').map((l) => l.n)).toEqual(Array.from({ length: LINES }, (_, n) => n));
});

it('lines that come due after closeLogger are dropped and counted, never written to the ended transport', () => {
  const file = join(tempDir('rc-log-batch-'), 'app.log');
  // One line while the transport ends, one after it closed; each comes due 10 ms later.
  const script = `
    import { closeLogger, createLogger, logState } from ${JSON.stringify(LOGGER)};
    const log = createLogger({ file: ${JSON.stringify(file)}, level: 'info', console: false });
    const alive = setInterval(() => {}, 1000); // as a broker's sockets do: the transport's thread keeps no process alive
    log.info('before');
    const closing = closeLogger(log);
    log.info('while ending');
    await closing;
    log.info('after');
    await new Promise((r) => setTimeout(r, 200));
    process.stdout.write(JSON.stringify(logState(log)));
    clearInterval(alive);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe(''); // no "the log transport failed", no uncaught error
  expect(run.status).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ writing: true, error: null });
  expect(readFileSync(file, 'utf8')).toContain('"before"');
});
