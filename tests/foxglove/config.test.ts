/** The foxglove.* and recording.* keys: defaults, what they follow, what they refuse. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../dist/server/config.js';

describe('foxglove and recording config', () => {
  it('is off by default, on 8765 at websocket.host, recording beside the projects', () => {
    const c = parseConfig({ websocket: { host: '10.0.0.5' } }, '/srv/robot', {});
    expect(c.foxglove).toEqual({ enabled: false, host: '10.0.0.5', port: 8765, allow_calls: false });
    expect(c.recording).toEqual({ enabled: false, dir: '/srv/robot/storage/recordings', max_bytes: 104_857_600, max_queue_bytes: 33_554_432 });
    expect(parseConfig({ worker: { storage_dir: '/data/projects' } }, '/srv/robot', {}).recording.dir).toBe('/data/recordings');
    expect(parseConfig({ recording: { dir: './rec' }, foxglove: { host: '127.0.0.1' } }, '/srv/robot', {})).toMatchObject({ recording: { dir: '/srv/robot/rec' }, foxglove: { host: '127.0.0.1' } });
  });

  it('names the bad key', () => {
    expect(() => parseConfig({ foxglove: { port: 70000 } }, '/x', {})).toThrow(ConfigError);
    expect(() => parseConfig({ foxglove: { port: 70000 } }, '/x', {})).toThrow(/^foxglove\.port: /);
    expect(() => parseConfig({ recording: { max_bytes: 10 } }, '/x', {})).toThrow(/^recording\.max_bytes: /);
    expect(() => parseConfig({ recording: { enable: true } }, '/x', {})).toThrow('recording.enable: unknown key');
  });
});
