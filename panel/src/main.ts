/**
 * The control panel, booted: pick the mode (control, or watch-only with ?watch=1),
 * take the token from the URL, and connect. Each part of the screen is its own
 * module; this file only wires them.
 */
import { startControl } from './control.js';
import { $ } from './dom.js';
import { EventLog } from './events-log.js';
import type { LinkState } from './link.js';
import { Playback } from './playback.js';
import { LivePlot } from './plot.js';
import { RobotConsole } from './robot-console.js';
import { RecordButton } from './recorder.js';
import { claimClientId, forgetToken, isWatchMode, otherModeHref, saveToken, takeToken } from './session.js';
import type { Shared } from './shared.js';
import { StatusView } from './status.js';
import { TokenPrompt } from './token-prompt.js';
import { startWatch } from './watch.js';

async function main(): Promise<void> {
  const watch = isWatchMode();
  document.body.dataset.mode = watch ? 'watch' : 'control';
  // Which robot this is, for operators with several tabs open.
  $('host').textContent = location.host;
  document.title = `${watch ? 'watch · ' : ''}robot-control · ${location.host}`;
  const switcher = $<HTMLAnchorElement>('mode-switch');
  switcher.href = otherModeHref();
  switcher.textContent = watch ? 'Control panel' : 'Watch only';
  switcher.title = watch
    ? 'The control panel: it drives when nobody holds the robot, else it observes (and offers Take control)'
    : 'Watch the controller’s commands and acks read-only (the /monitor namespace)';

  // Read before anything else can run: the token must leave the address bar at once.
  const token = takeToken();

  let link: ReturnType<typeof startControl> | ReturnType<typeof startWatch> | null = null;
  const prompt = new TokenPrompt((t) => {
    saveToken(t);
    if (!link) return;
    link.token = t;
    link.open();
  });
  const status = new StatusView(watch ? 'watch' : 'control', {
    retryNow: () => link?.retryNow(),
    watchInstead: watch ? undefined : () => location.assign(otherModeHref()),
    changeToken: () => prompt.ask('refused'),
  });
  const log = new EventLog();
  const plot = new LivePlot();
  const robotConsole = new RobotConsole();
  let last: LinkState['kind'] = 'idle';
  const shared: Shared = {
    status,
    log,
    plot,
    console: robotConsole,
    timeline: (s) => {
      if (s.kind === 'connected' && last !== 'connected') log.system('connected', { transport: s.transport });
      if (s.kind === 'reconnecting' && last === 'connected') log.system('disconnected', { reason: s.reason, detail: s.detail });
      if (s.kind !== 'connecting') last = s.kind;
    },
    tokenRefused: () => {
      forgetToken();
      prompt.ask('refused');
    },
  };

  link = watch ? startWatch(shared) : startControl(shared, await claimClientId());
  const playback = new Playback(shared, link.socket);
  if (!watch) new RecordButton(link as ReturnType<typeof startControl>, status, (file) => void playback.refresh(file));
  if (token) {
    link.token = token;
    link.open();
  } else {
    prompt.ask('missing');
  }
}

void main();
