/**
 * The worker owns `storage_dir`:
 *
 *   default/                    the built-in simulated robot (seeded when missing)
 *   current -> .releases/<id>   the project that runs (a symlink, swapped atomically)
 *   .previous -> .releases/<id> the one before it, for rollback
 *   .releases/<id>/             unpacked projects
 *   .staging/<id>/              uploads being unpacked and checked
 *
 * An upload is unpacked into .staging, checked, moved into .releases and only
 * then made current by renaming a new symlink over `current` (atomic on POSIX).
 * Every step leaves a state `init()` can repair, so a crash at any point loses
 * neither the running project nor the one before it.
 */
import { cp, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BrokerError } from '../ipc/errors.js';
import { ENTRY_MODULES, type ProjectType, type UpdateResult } from '../ipc/protocol.js';
import { unpackZip, type UnpackLimits } from './unpack.js';


/** Folders archivers add that never hold a project (macOS resource forks). */
const ARCHIVER_NOISE = new Set(['__MACOSX', '.DS_Store']);

export interface ProjectInfo {
  dir: string;
  type: ProjectType;
  entry: string;
}

export function detectEntry(dir: string): { type: ProjectType; entry: string } | null {
  for (const [entry, type] of ENTRY_MODULES) {
    if (isFile(join(dir, entry))) return { type, entry };
  }
  return null;
}

export class ProjectStore {
  readonly current: string;
  private readonly previous: string;
  private readonly releases: string;
  private readonly staging: string;
  /** Mutations of current/.previous/.releases, one at a time (an update may race a first load). */
  private lock: Promise<unknown> = Promise.resolve();
  private sequence = 0;

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

  /**
   * Create the folders, seed default/ when it is missing, and (with `repair`) repair what a crashed
   * run left: uploads half unpacked, temporary links, a lost `current`, releases
   * nothing points at.
   */
  async init(options: { repair: boolean }): Promise<void> {
    await mkdir(this.releases, { recursive: true });
    await mkdir(this.staging, { recursive: true });
    // Without a package.json of their own, projects would inherit the nearest one above
    // storage (possibly the broker's "type": "module"); this one has no "type", so a
    // project's main.js is CommonJS unless its own package.json says otherwise.
    await writeOnce(join(this.releases, 'package.json'), '{ "private": true }\n');
    const defaultDir = join(this.root, 'default');
    if (!existsSync(defaultDir)) await cp(this.builtinDefault, defaultDir, { recursive: true });
    if (options.repair) await this.repair();
  }

  /**
   * Undo what a crashed run left behind. Only while no other worker can be using
   * storage (the broker's first worker): a standby spare booting mid-upload would
   * otherwise delete the upload being unpacked.
   */
  private async repair(): Promise<void> {
    // Whatever is in .staging belongs to a run that died mid-upload.
    await rm(this.staging, { recursive: true, force: true });
    await mkdir(this.staging, { recursive: true });
    for (const name of await readdir(this.root)) {
      if (/^(current|\.previous)\.tmp-/.test(name)) await rm(join(this.root, name), { force: true });
    }
    const previousOk = await this.linksToProject(this.previous);
    if (!previousOk) await rm(this.previous, { force: true });
    // A crash while a current/ folder was moved aside leaves .previous and no current
    // (or a link whose release is gone): the previous project runs rather than default.
    if (!existsSync(this.current) && previousOk) await swapLink(await readlink(this.previous), this.current);
    await this.pruneReleases();
  }

  /** The project to run; `current` is made from default/ when it is missing or empty. */
  resolveCurrent(): Promise<ProjectInfo> {
    const found = existsSync(this.current) ? detectEntry(this.current) : null;
    if (found) return Promise.resolve({ dir: this.current, ...found });
    return this.exclusive(async () => {
      // Another caller may have made it while we waited.
      let made = existsSync(this.current) ? detectEntry(this.current) : null;
      if (!made) {
        const release = this.newRelease('default');
        await cp(join(this.root, 'default'), release, { recursive: true });
        await this.makeCurrent(release);
        made = detectEntry(this.current);
        if (!made) throw new BrokerError('E_NO_ENTRY', 'the default project has no entry module');
      }
      return { dir: this.current, ...made };
    });
  }

  /** Unpack, check and swap in an uploaded ZIP. The previous project is kept for rollback. */
  async install(zip: Buffer, id: number): Promise<UpdateResult> {
    const stage = join(this.staging, this.uniqueName(String(id)));
    await mkdir(stage, { recursive: true });
    try {
      const { files, bytes } = await unpackZip(zip, stage, this.limits);
      if (files === 0) throw new BrokerError('E_NO_ENTRY', 'the ZIP holds no files', { found: [] });
      const projectDir = await this.projectRoot(stage);
      const found = detectEntry(projectDir);
      if (!found) {
        const names = (await readdir(projectDir)).filter((n) => !ARCHIVER_NOISE.has(n)).sort();
        throw new BrokerError(
          'E_NO_ENTRY',
          `no entry module: the ZIP must hold one of ${ENTRY_MODULES.map(([e]) => e).join(', ')} at its root or in its single top-level folder`,
          { found: names.slice(0, 20) },
        );
      }
      return await this.exclusive(async () => {
        const release = this.newRelease(String(id));
        await rename(projectDir, release);
        await this.makeCurrent(release);
        return { ...found, files, bytes };
      });
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  }

  /** Put the previous project back; false when there is none to put back. */
  rollback(): Promise<boolean> {
    return this.exclusive(async () => {
      if (!(await this.linksToProject(this.previous))) return false;
      let failed = (await isSymlink(this.current)) ? join(this.root, await readlink(this.current)) : null;
      if (!failed && existsSync(this.current)) {
        // A folder cannot be renamed over; move it aside (init() restores .previous if we die here).
        failed = this.newRelease('failed');
        await rename(this.current, failed);
      }
      await swapLink(await readlink(this.previous), this.current);
      await rm(this.previous, { force: true });
      if (failed) await rm(failed, { recursive: true, force: true });
      return true;
    });
  }

  /** A ZIP whose files sit in one top-level folder is a project in that folder. */
  private async projectRoot(stage: string): Promise<string> {
    if (detectEntry(stage)) return stage;
    const names = (await readdir(stage)).filter((n) => !ARCHIVER_NOISE.has(n));
    const only = names.length === 1 ? join(stage, names[0]!) : null;
    if (only && (await lstat(only)).isDirectory()) return only;
    return stage;
  }

  /** A fresh, unused path in .releases (not created). */
  private newRelease(tag: string): string {
    return join(this.releases, this.uniqueName(tag));
  }

  private uniqueName(tag: string): string {
    return `${Date.now()}-${process.pid}-${++this.sequence}-${tag}`;
  }

  /**
   * Make `release` current and remember the old current as .previous; drop older
   * releases. Each step is one rename, and every state between two steps is one
   * init() accepts or repairs.
   */
  private async makeCurrent(release: string): Promise<void> {
    if (await this.linksToProject(this.current)) {
      await swapLink(await readlink(this.current), this.previous);
    } else if (!(await isSymlink(this.current)) && existsSync(this.current)) {
      await this.adoptCurrentFolder();
    }
    await swapLink(join('.releases', basename(release)), this.current);
    await this.pruneReleases();
  }

  /**
   * A current/ folder made by hand becomes a release like any other, and .previous.
   * .previous is pointed at it first: a crash between the two renames leaves a
   * valid .previous and no current, which init() turns back into current.
   */
  private async adoptCurrentFolder(): Promise<void> {
    const adopted = this.newRelease('adopted');
    const hasEntry = detectEntry(this.current) !== null;
    if (hasEntry) await swapLink(join('.releases', basename(adopted)), this.previous);
    await rename(this.current, adopted);
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

  /** `link` is a symlink to a release that holds an entry module. */
  private async linksToProject(link: string): Promise<boolean> {
    return (await isSymlink(link)) && detectEntry(link) !== null;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Make `path` hold `content`, never letting a reader see it half-written: other
 * workers (a standby spare booting) may be importing a project beside it.
 */
async function writeOnce(path: string, content: string): Promise<void> {
  try {
    if ((await readFile(path, 'utf8')) === content) return;
  } catch {
    // missing: write it
  }
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
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
