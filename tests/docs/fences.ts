/**
 * The fenced code blocks of the README and docs/, and how the docs test treats each.
 *
 * The convention (docs/CLI.md, "The docs are tested"): the info string after the
 * language may say
 *   no-run          an example not meant to run here: installs, a server or an image
 *                   build, the test suite itself, a fragment that is not a program
 *   file=PATH       a project file: written to PATH in the test's work folder, so the
 *                   commands can use it (and the project is uploaded, to check it loads)
 * Every other `bash`/`sh`, `js`/`ts` and `python` fence is run as written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Fence {
  /** Where, for the test's name and its failures: `docs/CLI.md:18`. */
  where: string;
  lang: string;
  noRun: boolean;
  file: string | null;
  body: string;
}

const RUNNABLE = new Set(['bash', 'sh', 'js', 'ts', 'python']);

export function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

export function fencesOf(path: string): Fence[] {
  const lines = readFileSync(join(ROOT, path), 'utf8').split('\n');
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, k) => k > i && l.startsWith('```'));
    if (end < 0) break;
    const info = open[2]!.split(/\s+/).filter(Boolean);
    const file = info.find((w) => w.startsWith('file='))?.slice('file='.length) ?? null;
    fences.push({ where: `${path}:${i + 1}`, lang: open[1]!, noRun: info.includes('no-run'), file, body: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return fences;
}

/** The fences the test runs: runnable languages, neither `no-run` nor `file=`. */
export function runnable(fences: Fence[]): Fence[] {
  return fences.filter((f) => RUNNABLE.has(f.lang) && !f.noRun && !f.file);
}
