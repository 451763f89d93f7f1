/**
 * app.log and events.log from a real broker: what goes where, rotation by size,
 * and no token in any file.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { callMethod, connectClient, readLog, startTestBroker, tempDir, testConfig, waitFor, type TestBroker } from '../helpers/broker.js';
import { closeLogger, createLogger } from '../../dist/server/logger.js';
import { connectMonitor, get } from './helpers.js';

let t: TestBroker | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const TOKEN = 'sekret-observability-token-4242';

describe('app.log and events.log', () => {
  it('puts connections, commands, restarts and auth failures in events.log, everything in app.log, and never the token', async () => {
    t = await startTestBroker({ auth: { token: TOKEN } });
    const eventsFile = t.config.log.events_file;
    expect(eventsFile).toBe(join(dirname(t.logFile), 'events.log'));

    // Auth failures on every surface.
    await expect(connectClient(t.url, { token: `${TOKEN}-wrong` })).rejects.toThrow('unauthorized');
    await expect(connectMonitor(t.url, 'nope')).rejects.toThrow('unauthorized');
    expect((await get(t.url, '/stats', `${TOKEN}-wrong`)).status).toBe(401);
    expect((await get(t.url, '/metrics')).status).toBe(401);
    expect((await get(t.url, `/stats?token=${TOKEN}`)).status).toBe(200);

    const c = await t.connect();
    await callMethod(c, 'sport_client', 'StandUp');
    await callMethod(c, 'sport_client', 'Nope');
    process.kill(t.broker.supervisor.status().pid!, 'SIGKILL');
    await waitFor(() => t!.broker.supervisor.status().generation === 2 && t!.broker.supervisor.status().state === 'ready', 15_000, 'the restart');
    c.close();

    await waitFor(() => readLog(eventsFile).some((l) => l.event === 'client_disconnected'), 5000, 'the events log');
    const events = readLog(eventsFile);
    expect(events.every((l) => l.channel === 'events' && typeof l.event === 'string')).toBe(true);
    const surfaces = events.filter((l) => l.event === 'auth_failed').map((l) => l.surface);
    expect(surfaces.sort()).toEqual(['metrics', 'monitor', 'socket.io', 'stats']);
    const commands = events.filter((l) => l.event === 'command');
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatchObject({ command: 'process', object: 'sport_client', method: 'StandUp', outcome: 'success' });
    expect(commands[1]).toMatchObject({ method: 'Nope', outcome: 'error', code: 'E_UNKNOWN_METHOD', level: 40 });
    expect(events.filter((l) => l.event === 'client_connected')).toHaveLength(1);
    const states = events.filter((l) => l.event === 'worker_state');
    expect(states.some((l) => l.state === 'restarting' && String(l.reason).startsWith('crash') && l.level === 40)).toBe(true);
    expect(states.filter((l) => l.state === 'ready').length).toBeGreaterThanOrEqual(2);

    // app.log has all of it, and more.
    const app = t.logLines();
    expect(app.length).toBeGreaterThan(events.length);
    expect(app.filter((l) => l.channel === 'events').length).toBeGreaterThanOrEqual(events.length);

    const everything = readdirSync(dirname(t.logFile))
      .map((f) => readFileSync(join(dirname(t!.logFile), f), 'utf8'))
      .join('\n');
    expect(everything).not.toContain(TOKEN);
  });

  it('rotates by size: the live file keeps its name, max_files rotated files are kept, nothing is lost in between', async () => {
    const dir = tempDir('rc-rotate-');
    const file = join(dir, 'logs', 'app.log');
    const log = createLogger({ file, level: 'info', console: false, events_file: join(dir, 'logs', 'events.log'), max_size: 4096, max_files: 2 });
    const pad = 'x'.repeat(100);
    for (let i = 0; i < 200; i++) {
      log.info({ i, pad }, 'line');
      if (i % 50 === 0) log.child({ channel: 'events' }).info({ event: 'marker', i }, 'marker');
    }
    await new Promise<void>((r) => log.flush(() => r()));
    await waitFor(() => readLog(file).some((l) => l.i === 199), 5000, 'the last line');
    const names = readdirSync(join(dir, 'logs')).sort();
    expect(names).toEqual(['app.log', 'app.log.1', 'app.log.2', 'events.log']);
    // Oldest first: .2, .1, live. The kept lines are one unbroken, ordered run ending at the last.
    const kept = [...readLog(`${file}.2`), ...readLog(`${file}.1`), ...readLog(file)].filter((l) => l.msg === 'line').map((l) => l.i as number);
    expect(kept[kept.length - 1]).toBe(199);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => kept[0]! + k));
    for (const f of names) expect(readFileSync(join(dir, 'logs', f)).length).toBeLessThan(4096 + 1024);
    // events.log took only the events channel.
    expect(readLog(join(dir, 'logs', 'events.log')).map((l) => l.i)).toEqual([0, 50, 100, 150]);
    await closeLogger(log);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the console shows all but the per-command lines under warn; app.log has every line', () => {
    const dir = tempDir('rc-log-console-');
    const file = join(dir, 'app.log');
    const logger = pathToFileURL(join(import.meta.dirname, '../../dist/server/logger.js')).href;
    const script = `
      import { closeLogger, createLogger } from ${JSON.stringify(logger)};
      const log = createLogger({ file: ${JSON.stringify(file)}, level: 'info', console: true, events_file: ${JSON.stringify(join(dir, 'events.log'))} });
      const journal = log.child({ channel: 'events' });
      journal.info({ event: 'client_connected' }, 'client connected');
      journal.info({ event: 'command', command: 'process' }, 'process ok');
      journal.warn({ event: 'command', command: 'process', code: 'E_METHOD_FAILED' }, 'process failed: boom');
      log.info({ note: { event: 'command' } }, 'a nested event field is not a command line');
      await closeLogger(log);
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('client connected');
    expect(run.stdout).toContain('process failed: boom');
    expect(run.stdout).toContain('a nested event field is not a command line');
    expect(run.stdout).not.toContain('process ok');
    expect(readLog(file).map((l) => l.msg)).toEqual(['client connected', 'process ok', 'process failed: boom', 'a nested event field is not a command line']);
    expect(readLog(join(dir, 'events.log')).map((l) => l.msg)).toEqual(['client connected', 'process ok', 'process failed: boom']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a broker closed in its process lets its log files go (the logger it made ends with it)', async () => {
    const dir = tempDir('rc-logclose-');
    const config = testConfig(dir);
    const { startBroker } = await import('../../dist/server/broker.js');
    const broker = await startBroker(config);
    const open = () => readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } }).filter((f) => f.startsWith(dirname(config.log.file)));
    try {
      // The log thread opens its files on its own time: on a loaded machine, after the broker is up.
      await waitFor(() => open().length > 0, 10_000, 'the log files to be open');
    } finally {
      await broker.close();
    }
    expect(open()).toEqual([]);
    expect(readLog(config.log.file).at(-1)).toMatchObject({ msg: 'broker stopped' });
    rmSync(dir, { recursive: true, force: true });
  });
});
