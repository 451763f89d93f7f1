// Build the control panel into dist/panel: compile panel/src (TypeScript, for the
// browser), copy panel/static, and copy the two browser libraries it imports into
// dist/panel/vendor (no CDN: the robot may be offline). Then stamp the build.
// Runs after the server's tsc: the panel takes its wire types from dist/ipc/*.d.ts.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const out = 'dist/panel';
// Built aside and swapped in at the end: a running broker never serves a half-built
// panel, and no stale module from a renamed source file survives.
const next = `dist/.panel-${process.pid}`;
rmSync(next, { recursive: true, force: true });
mkdirSync(join(next, 'vendor'), { recursive: true });

try {
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'panel/tsconfig.json', '--outDir', next], { stdio: 'inherit' });
  cpSync('panel/static', next, { recursive: true });
  // The upload in pieces, shared with the SDK (the server's tsc built it: it imports nothing).
  cpSync('dist/ipc/upload-pieces.js', join(next, 'upload-pieces.js'));

  const socketIoDist = join(dirname(require.resolve('socket.io-client/package.json')), 'dist');
  const uplotDist = join(dirname(require.resolve('uplot/package.json')), 'dist');
  const vendor = [
    [join(socketIoDist, 'socket.io.esm.min.js'), 'socket.io.esm.min.js'],
    [join(socketIoDist, 'socket.io.esm.min.js.map'), 'socket.io.esm.min.js.map'],
    [join(uplotDist, 'uPlot.esm.js'), 'uPlot.esm.js'],
    [join(uplotDist, 'uPlot.min.css'), 'uPlot.min.css'],
  ];
  for (const [from, name] of vendor) cpSync(from, join(next, 'vendor', name));
} catch (err) {
  rmSync(next, { recursive: true, force: true });
  console.error(`build-panel: ${err.message}`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
renameSync(next, out);
writeFileSync('dist/.build-stamp', new Date().toISOString() + '\n');
