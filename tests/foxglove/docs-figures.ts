/**
 * The figures of docs/FOXGLOVE.md, from a real session (not a test). Run after
 * `npm run build`:  npx tsx tests/foxglove/docs-figures.ts
 *  - prints the channels and services as @foxglove/ws-protocol's client sees them
 *    (what Foxglove Studio lists), and `robot-control record --info` of the recording;
 *  - writes docs/screenshots/panel-replay.png: the panel playing that recording back.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startTestBroker, waitFor } from '../helpers/broker.js';
import { callFromPanel, launchBrowser, openPanel, waitForConnection } from '../panel/browser.js';
import { connectFoxglove } from './client.js';

const out = new URL('../../docs/screenshots/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });

const t = await startTestBroker({ foxglove: { enabled: true, allow_calls: true } });
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 })).newPage();
  await openPanel(page, t.url, t.token);
  await waitForConnection(page, 'connected');
  await page.click('#start-btn');
  await page.waitForSelector('.method[data-method="StandUp"]');
  await page.waitForSelector('#record-btn:not([disabled])');
  await page.click('#record-btn');
  await page.waitForSelector('#record-btn[data-state="on"]');
  await callFromPanel(page, 'sport_client', 'StandUp');
  await callFromPanel(page, 'recognition', 'Start', '{"interval_ms": 250}');
  await callFromPanel(page, 'sport_client', 'Move', '{"vx": 0.6, "vyaw": 0.35}');

  // What a Foxglove client sees while the robot moves.
  const fox = await connectFoxglove(t.broker.foxglove!.url, { token: t.token });
  await waitFor(() => fox.topic('odometry') !== undefined && fox.topic('recognition_result') !== undefined && fox.service('sport_client.Move') !== undefined, 15_000, 'the robot channels');
  await fox.subscribe('odometry');
  await waitFor(() => fox.received.length > 0, 10_000, 'an odometry message');
  const lines = [`$ npx tsx tests/foxglove/docs-figures.ts   # a FoxgloveClient on ${t.broker.foxglove!.url.replace(/:\d+\//, ':8765/')}?token=…`, '', 'channels'];
  for (const c of [...fox.channels.values()].sort((a, b) => a.id - b.id)) {
    const schema = JSON.parse(c.schema) as { properties?: Record<string, { type?: unknown }> };
    const fields = Object.entries(schema.properties ?? {}).map(([k, v]) => `${k}: ${Array.isArray(v.type) ? v.type.join('|') : (v.type ?? 'any')}`);
    lines.push(`  #${String(c.id).padEnd(3)} ${c.topic.padEnd(20)} ${c.encoding}  { ${fields.join(', ')} }`);
  }
  lines.push('', 'services (request: the args as JSON; response: the return value)');
  for (const s of [...fox.services.values()].sort((a, b) => a.name.localeCompare(b.name))) lines.push(`  ${s.name}`);
  const first = fox.received[0]!;
  lines.push('', `first odometry message: t=${first.timestamp} ns  ${JSON.stringify(first.data)}`);
  lines.push(`service call sport_client.GetStatus -> ${JSON.stringify(await fox.call('sport_client.GetStatus', ''))}`);
  fox.close();

  await page.waitForTimeout(5000);
  await callFromPanel(page, 'sport_client', 'StopMove');
  await callFromPanel(page, 'recognition', 'Stop');
  await page.click('#record-btn');
  await page.waitForSelector('#record-btn[data-state="off"]');
  await page.waitForFunction(() => (document.getElementById('replay-file') as HTMLSelectElement).value !== '');
  const name = await page.$eval('#replay-file', (s) => (s as HTMLSelectElement).value);
  lines.push('', `$ npx robot-control record --info ${name}`);
  lines.push(execFileSync(process.execPath, ['dist/cli/main.js', 'record', '--info', join(t.config.recording.dir, name)], { encoding: 'utf8' }).replace(t.config.recording.dir + '/', '').trimEnd());
  console.log(lines.join('\n'));

  // Playback: clear the live log, play at 2x, and take the picture half way.
  await page.click('#clear-btn');
  await page.selectOption('#replay-speed', '2');
  await page.click('#replay-play');
  await page.waitForFunction(() => Number(document.getElementById('replay-card')?.dataset.played) > 30, undefined, { timeout: 15_000 });
  await page.selectOption('#plot-event', 'replay: odometry');
  await page.waitForTimeout(1200);
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${out}panel-replay.png`, fullPage: true });
  await page.waitForSelector('#replay-card[data-state="done"]', { timeout: 20_000 });
  console.log(`\nscreenshot: ${out}panel-replay.png`);
} finally {
  await browser.close();
  await t.close();
}
