// `npm start` runs this first: build when dist/ is missing or older than a source file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const sources = ['ipc', 'server', 'worker', 'panel', 'client', 'types', 'tsconfig.json', 'package.json'];
const stamp = 'dist/.build-stamp';

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

if (!existsSync(stamp) || Math.max(...sources.map(newest)) > statSync(stamp).mtimeMs) {
  console.log('robot-control: building...');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
