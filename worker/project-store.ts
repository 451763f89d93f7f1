/**
 * The worker owns `storage_dir`:
 *
 *   default/              the built-in simulated robot (seeded when missing)
 *   current -> .releases/<id>   the project that runs (a symlink, swapped atomically)
 *   .previous -> .releases/<id> the one before it, for rollback
 *   .releases/<id>/       unpacked projects
 *   .staging/<id>/        uploads being unpacked and checked
 *
 * An upload is unpacked into .staging, checked, moved into .releases and only
 * then made current by renaming a new symlink over `current` (atomic on POSIX).
 */
import { cp, mkdir, readdir, readlink, rename, rm, stat, symlink, writeFile, lstat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BrokerError } from '../ipc/errors.js';
import type { ProjectType, UpdateResult } from '../ipc/protocol.js';
import { unpackZip, type UnpackLimits } from './unpack.js';

/** Entry modules in the order they are looked for. */
export const ENTRY_MODULES: ReadonlyArray<readonly [string, ProjectType]> = [
  ['main.js', 'javascript'],
  ['main.mjs', 'javascript'],
  ['main.cjs', 'javascript'],
  ['main.ts', 'typescript'],
  ['main.py', 'python'],
];

/** Folders archivers add that never hold a project (macOS resource forks). */
const ARCHIVER_NOISE = new Set(['__MACOSX', '.DS_Store']);

export interface ProjectInfo {
  dir: string;
  type: ProjectType;
  entry: string;
}

export function detectEntry(dir: string): { type: ProjectType; entry: string } | null {
  for (const [entry, type] of ENTRY_MODULES) {
    if (existsSync(join(dir, entry))) return { type, entry };
  }
  return null;
}

export class ProjectStore {
  readonly current: string;
  private readonly previous: string;
  private readonly releases: string;
  private readonly staging: string;

  constructor(
    readonly root: string,
    private readonly builtinDefault: string,
    private readonly limits: UnpackLimits,
  ) {
    this.current = join(root, 'current');
    this.previous = join(root, '.previous');
    this.releases = join(root, '.releases');
    this.staging = join(root, '.staging');
  }

  /** Create the folders and seed default/ from the built-in project when it is missing. */
  async init(): Promise<void> {
    await mkdir(this.releases, { recursive: true });
    await mkdir(this.staging, { recursive: true });
    // Without a package.json of their own, projects would inherit the nearest one above
    // storage (possibly the broker's "type": "module"); this one has no "type", so a
    // project's main.js is CommonJS unless its own package.json says otherwise.
    await writeFile(join(this.releases, 'package.json'), '{ "private": true }\n');
    const defaultDir = join(this.root, 'default');
    if (!existsSync(defaultDir)) await cp(this.builtinDefault, defaultDir, { recursive: true });
  }

  /** The project to run; `current` is made from default/ when it is missing or empty. */
  async resolveCurrent(): Promise<ProjectInfo> {
    let found = existsSync(this.current) ? detectEntry(this.current) : null;
    if (!found) {
      const release = await this.newRelease('default');
      await cp(join(this.root, 'default'), release, { recursive: true });
      await this.makeCurrent(release);
      found = detectEntry(this.current);
      if (!found) throw new BrokerError('E_NO_ENTRY', 'the default project has no entry module');
    }
    return { dir: this.current, ...found };
  }

  /** Unpack, check and swap in an uploaded ZIP. The previous project is kept for rollback. */
  async install(zip: Buffer, id: number): Promise<UpdateResult> {
    const stage = join(this.staging, `${Date.now()}-${id}`);
    await mkdir(stage, { recursive: true });
    try {
      const { files, bytes } = await unpackZip(zip, stage, this.limits);
      const projectDir = await this.projectRoot(stage);
      const found = detectEntry(projectDir);
      if (!found) {
        throw new BrokerError('E_NO_ENTRY', `no entry module: the ZIP must hold one of ${ENTRY_MODULES.map(([e]) => e).join(', ')} at its root or in its single top-level folder`);
      }
      const release = await this.newRelease(String(id));
      await rename(projectDir, release);
      await this.makeCurrent(release);
      return { ...found, files, bytes };
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  }

  /** Put the previous project back. */
  async rollback(): Promise<boolean> {
    if (!(await isSymlink(this.previous))) return false;
    const failed = (await isSymlink(this.current)) ? await readlink(this.current) : null;
    await swapLink(await readlink(this.previous), this.current);
    await rm(this.previous, { force: true });
    if (failed) await rm(join(this.root, failed), { recursive: true, force: true });
    return true;
  }

  /** When the current project was installed. */
  async installedAt(): Promise<Date | null> {
    try {
      return (await stat(this.current)).mtime;
    } catch {
      return null;
    }
  }

  /** A ZIP whose files sit in one top-level folder is a project in that folder. */
  private async projectRoot(stage: string): Promise<string> {
    if (detectEntry(stage)) return stage;
    const names = (await readdir(stage)).filter((n) => !ARCHIVER_NOISE.has(n));
    const only = names.length === 1 ? join(stage, names[0]!) : null;
    if (only && (await stat(only)).isDirectory()) return only;
    return stage;
  }

  private async newRelease(tag: string): Promise<string> {
    const dir = join(this.releases, `${Date.now()}-${tag}`);
    await mkdir(this.releases, { recursive: true });
    return dir;
  }

  /** Make `release` current and remember the old current as .previous; drop older releases. */
  private async makeCurrent(release: string): Promise<void> {
    const relative = join('.releases', basename(release));
    if (existsSync(this.current) || (await isSymlink(this.current))) {
      if (await isSymlink(this.current)) {
        await swapLink(await readlink(this.current), this.previous);
      } else {
        // A current/ folder made by hand becomes a release like any other.
        const adopted = await this.newRelease('adopted');
        await rename(this.current, adopted);
        await swapLink(join('.releases', basename(adopted)), this.previous);
      }
    }
    await swapLink(relative, this.current);
    await this.pruneReleases();
  }

  private async pruneReleases(): Promise<void> {
    const keep = new Set<string>();
    for (const link of [this.current, this.previous]) {
      if (await isSymlink(link)) keep.add(basename(await readlink(link)));
    }
    for (const name of await readdir(this.releases)) {
      if (name === 'package.json' || keep.has(name)) continue;
      await rm(join(this.releases, name), { recursive: true, force: true });
    }
  }
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Point `link` at `target` atomically: a new link renamed over the old one. */
async function swapLink(target: string, link: string): Promise<void> {
  const tmp = `${link}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link);
}
