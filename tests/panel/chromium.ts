/**
 * One Chromium for the whole test run. Launching Debian's chromium costs ~4 s of CPU; nine
 * test files each launching their own paid that nine times on a 2-core CI machine. The
 * run's global setup (vitest.config.ts) serves, on loopback, the WebSocket endpoint of one
 * browser server, launched the first time a test file asks for it (a run without browser
 * tests launches nothing); each file connects to it and gets contexts of its own, which
 * Playwright closes when the file disconnects.
 * Scripts outside Vitest (screenshots.ts, docs-figures.ts) launch a browser of their own.
 * A missing browser is a failure, never a skip (CI installs it; so must you:
 * `apt-get install chromium`, or set CHROMIUM_PATH).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserServer, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where a test file asks for the shared browser's endpoint (set by the global setup). */
const SHARED_BROWSER_ENV = 'RC_TEST_BROWSER';

/**
 * The features the browser runs without. Chromium keeps only the last --disable-features
 * it is given, so this repeats the list Playwright passes (playwright-core 1.65,
 * chromiumSwitches) and adds two: headless Chromium 156 gives every new window (one per
 * page here) the omnibox popup of its top chrome, a WebUI page loaded in a renderer of its
 * own. A panel page opened, connected and closed: 4.9 CPU-s of the browser's processes with
 * them, 2.5 without (/proc, four pages each). `shareBrowser` checks the launched browser
 * still gets every feature Playwright disables.
 */
const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades', 'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay', 'MediaRouter', 'PaintHolding', 'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  'msForceBrowserSignIn', 'msEdgeUpdateLaunchServicesPreferredVersion',
  'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup',
];

/** The features Playwright's own --disable-features names that the one in force (the last) does not. */
function featuresDropped(pid: number): string[] {
  const lists = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((arg) => arg.startsWith('--disable-features='))
    .map((arg) => arg.slice('--disable-features='.length).split(','));
  const inForce = new Set(lists.at(-1));
  return lists.slice(0, -1).flat().filter((f) => !inForce.has(f));
}

function launchOptions(): LaunchOptions {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No browser at ${CHROMIUM_PATH}: the panel tests need Debian's chromium (apt-get install chromium) or CHROMIUM_PATH`);
  }
  return {
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', `--disable-features=${DISABLED_FEATURES.join(',')}`],
  };
}

/** The run's browser if a global setup shares one, else a browser of the caller's own. */
export async function launchBrowser(): Promise<Browser> {
  const shared = process.env[SHARED_BROWSER_ENV];
  if (!shared) return chromium.launch(launchOptions());
  const res = await fetch(shared);
  const body = await res.text();
  if (!res.ok) throw new Error(body);
  return chromium.connect(body);
}

/** Vitest global setup: serve the lazily launched browser's endpoint; teardown closes both. */
export default async function shareBrowser(): Promise<() => Promise<void>> {
  let launching: Promise<BrowserServer> | undefined;
  const http = createServer((_req, res) => {
    launching ??= Promise.resolve().then(async () => {
      const server = await chromium.launchServer(launchOptions());
      const dropped = featuresDropped(server.process().pid!);
      if (dropped.length === 0) return server;
      await server.close();
      throw new Error(`Playwright now disables ${dropped.join(', ')} too: add them to DISABLED_FEATURES (tests/panel/chromium.ts)`);
    });
    launching.then(
      (server) => res.end(server.wsEndpoint()),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  process.env[SHARED_BROWSER_ENV] = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  return async () => {
    http.close();
    await launching?.then((server) => server.close(), () => undefined);
  };
}
