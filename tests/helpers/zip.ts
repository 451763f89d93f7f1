/** Build real ZIP files in tests. */
import AdmZip from 'adm-zip';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A ZIP holding `files` (path -> content). */
export function zipFiles(files: Record<string, string | Buffer>): Buffer {
  const zip = new AdmZip();
  for (const [path, content] of Object.entries(files)) zip.addFile(path, Buffer.isBuffer(content) ? content : Buffer.from(content));
  return zip.toBuffer();
}

/** A ZIP of a folder on disk (a fixture project), optionally under one top-level folder. */
export function zipDir(dir: string, prefix = ''): Buffer {
  const zip = new AdmZip();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else zip.addFile(prefix + relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return zip.toBuffer();
}

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** A fixture project (tests/fixtures/NAME) as a ZIP. */
export function fixtureZip(name: string, prefix = ''): Buffer {
  return zipDir(join(FIXTURES, name), prefix);
}
