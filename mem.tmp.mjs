import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const { parseConfig } = await import('./dist/server/config.js');
const { startBroker } = await import('./dist/server/broker.js');
const dir = mkdtempSync(join(tmpdir(), 'mem-'));
const config = parseConfig({ websocket: { host: '127.0.0.1', port: 0 }, worker: { storage_dir: join(dir, 'projects') },
  ipc: { command_socket: `ipc://${dir}/c.ipc`, callback_socket: `ipc://${dir}/b.ipc` }, auth: { token: 't' },
  log: { file: join(dir, 'app.log'), level: 'info', console: false } }, dir, {});
const broker = await startBroker(config);
await new Promise((r) => setTimeout(r, 3000));
const m = process.memoryUsage();
console.log(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, (v / 1048576).toFixed(1)])));
const req = createRequire(import.meta.url);
const pk = new Set(Object.keys(req.cache).map((f) => f.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1]).filter(Boolean));
console.log('cjs packages:', [...pk].join(' '));
const fs = await import('node:fs');
const smaps = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
console.log(smaps.split('\n').filter((l) => /^(Rss|Pss|Anonymous|Shared|Private)/.test(l)).join(' | '));
const v8 = await import('node:v8');
for (const s of v8.getHeapSpaceStatistics()) if (s.space_used_size > 1e6) console.log(s.space_name, (s.space_used_size / 1048576).toFixed(1), (s.physical_space_size/1048576).toFixed(1));
await broker.close();
process.exit(0);
