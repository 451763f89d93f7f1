// Copy the panel's static files into dist/panel and stamp the build.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';

mkdirSync('dist/panel', { recursive: true });
cpSync('panel/static', 'dist/panel', { recursive: true });
writeFileSync('dist/.build-stamp', new Date().toISOString() + '\n');
