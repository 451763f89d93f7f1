/** config.yaml: strict, defaulted, frozen; relative paths resolve against the file's folder. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../dist/server/config.js';
import { tempDir } from './helpers/broker.js';

describe('config', () => {
  it('fills the seed defaults and freezes the result', () => {
    const c = parseConfig({}, '/srv/robot', {});
    expect(c.websocket).toMatchObject({ host: '0.0.0.0', port: 8000, max_message_size: 104_857_600 });
    expect(c.worker).toMatchObject({ storage_dir: '/srv/robot/storage/projects', max_execution_time: 300, max_memory_mb: 512 });
    expect(c.ipc.command_socket).toBe('ipc:///tmp/robot-control-cmd.ipc');
    expect(c.auth.token).toBe('');
    expect(Object.isFrozen(c) && Object.isFrozen(c.worker)).toBe(true);
  });

  it('resolves relative paths and ipc:// endpoints against the config file folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'robot.yaml'), 'worker:\n  storage_dir: "./p"\nipc:\n  command_socket: "ipc://./s/c.ipc"\n  callback_socket: "tcp://127.0.0.1:5556"\n');
    const c = loadConfig(join(dir, 'robot.yaml'), {});
    expect(c.worker.storage_dir).toBe(join(dir, 'p'));
    expect(c.ipc.command_socket).toBe(`ipc://${join(dir, 's/c.ipc')}`);
    expect(c.ipc.callback_socket).toBe('tcp://127.0.0.1:5556');
  });

  it('LOG_LEVEL and ROBOT_CONTROL_TOKEN override the file', () => {
    const c = parseConfig({ auth: { token: 'file' }, log: { level: 'info' } }, '/x', { LOG_LEVEL: 'DEBUG', ROBOT_CONTROL_TOKEN: 'env' });
    expect(c.log.level).toBe('debug');
    expect(c.auth.token).toBe('env');
    expect(() => parseConfig({}, '/x', { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('worker.standby is auto by default, or a count of spares: true is one, false none; standby_quiet is seconds', () => {
    expect(parseConfig({}, '/x', {}).worker.standby).toBe('auto');
    expect(parseConfig({}, '/x', {}).worker.standby_quiet).toBe(30);
    expect(parseConfig({ worker: { standby: 'auto', standby_quiet: 0 } }, '/x', {}).worker.standby_quiet).toBe(0);
    for (const bad of [-1, 'soon', 2_147_484]) expect(() => parseConfig({ worker: { standby_quiet: bad } }, '/x', {})).toThrow('worker.standby_quiet');
    expect(parseConfig({ worker: { standby: false } }, '/x', {}).worker.standby).toBe(0);
    expect(parseConfig({ worker: { standby: true } }, '/x', {}).worker.standby).toBe(1);
    expect(parseConfig({ worker: { standby: 3 } }, '/x', {}).worker.standby).toBe(3);
    for (const bad of [9, -1, 1.5, 'two', 'AUTO']) expect(() => parseConfig({ worker: { standby: bad } }, '/x', {})).toThrow('worker.standby');
  });

  it.each([
    [{ websocket: { port: -1 } }, 'websocket.port'],
    [{ worker: { max_memory_mb: 'lots' } }, 'worker.max_memory_mb'],
    // Past Node's longest timer a call's deadline would fire at once: every call E_TIMEOUT.
    [{ worker: { max_execution_time: 1e7 } }, 'worker.max_execution_time'],
    [{ worker: { storge_dir: 'x' } }, 'worker.storge_dir: unknown key'],
    [{ auth: { token: 42 } }, 'auth.token'],
  ])('names the bad key (%#)', (input, key) => {
    expect(() => parseConfig(input, '/x', {})).toThrow(ConfigError);
    expect(() => parseConfig(input, '/x', {})).toThrow(key);
  });

  it('says what is wrong with a file that is not YAML or not there', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), 'websocket: [unclosed');
    expect(() => loadConfig(join(dir, 'bad.yaml'), {})).toThrow(/not valid YAML/);
    expect(() => loadConfig(join(dir, 'missing.yaml'), {})).toThrow(/cannot read \(ENOENT\)/);
  });
});
