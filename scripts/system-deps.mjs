// `npm test`'s first step: make sure the Debian packages the tests use are here.
// The tests use real parts (Debian's Chromium for the panel, python3-socketio for
// the Python client, bubblewrap for the worker sandbox), and a missing part must
// fail, never skip. Run as root with apt-get (CI, a container, a fresh VM), this
// installs what is missing; otherwise it stops with the one command to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What the tests need, how to tell it is here, and the Debian package that brings it. */
const NEEDS = [
  { pkg: 'chromium', why: 'panel tests', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'python3-socketio', why: 'Python client tests', present: () => pythonHas('socketio') },
  { pkg: 'python3-websocket', why: 'Python client tests (websocket transport)', present: () => pythonHas('websocket') },
  { pkg: 'bubblewrap', why: 'worker sandbox tests', present: () => existsSync('/usr/bin/bwrap') },
  { pkg: 'zip', why: 'the docs test runs the zip commands the docs show', present: () => existsSync('/usr/bin/zip') },
];

function pythonHas(module) {
  // Debian's interpreter: a pyenv python on PATH cannot see Debian's packages.
  return existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

const missing = NEEDS.filter((n) => !n.present());
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((n) => n.pkg);
const command = `apt-get install -y ${pkgs.join(' ')}`;
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!asRoot || !existsSync('/usr/bin/apt-get')) {
  process.stderr.write(
    `npm test needs Debian packages that are not installed:\n` +
      missing.map((n) => `  ${n.pkg} (${n.why})\n`).join('') +
      `Install them, then run npm test again:\n  sudo apt-get update && sudo ${command}\n`,
  );
  process.exit(1);
}

process.stdout.write(`Installing what the tests need: ${pkgs.join(', ')}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
const still = NEEDS.filter((n) => !n.present()).map((n) => n.pkg);
if (still.length) {
  process.stderr.write(`still missing after apt-get install: ${still.join(', ')}\n`);
  process.exit(1);
}
