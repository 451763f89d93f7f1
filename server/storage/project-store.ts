/**
 * The server owns `storage_dir` (workers only load the folder they are told):
 *
 *   default/                    the built-in simulated robot (seeded when missing)
 *   current -> .releases/<id>   the project that runs (a symlink, swapped atomically)
 *   .previous -> .releases/<id> the one before it (what a crash mid-swap falls back to)
 *   .releases/<id>/             unpacked projects: current, .previous, and one staged upload
 *   .staging/<id>/              uploads being unpacked and checked
 *   .rehearsal/                 a fresh unpack thread's warm-up (unpack-worker.ts), gone once done
 *
 * An upload is unpacked into .staging (off the event loop, see unpack-thread.ts; one in
 * pieces while it arrives, see unpack-ahead.ts), checked,
 * and moved into .releases as a *staged release*. A worker loads it there; only once it
 * has answered does `activate()` rename a new symlink over `current` (atomic on POSIX).
 * A bad upload is `discard()`ed: current and .previous were never touched. Every step
 * leaves a state `init()` repairs, so a crash at any point keeps the last good project
 * current (tests/lifecycle/crash-steps.test.ts kills the server at each step).
 *
 * Mutations are not locked here: the supervisor runs them in its one operation queue.
 */
import { cp, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BrokerError } from '../../ipc/errors.js';
import { ENTRY_MODULES, type UpdateResult } from '../../ipc/protocol.js';
import { type ProjectInfo } from '../../ipc/worker-protocol.js';
import { crashPoint } from './crash-points.js';
import type { UnpackLimits } from './unpack.js';
import { IncomingUpload, UnpackThread, type Upload } from './unpack-thread.js';

/** Folders archivers add that never hold a project (macOS resource forks). */
const ARCHIVER_NOISE = new Set(['__MACOSX', '.DS_Store']);

/** An upload unpacked, checked and moved into .releases, not yet current. */
export type StagedRelease = ProjectInfo & UpdateResult;

export function detectEntry(dir: string): Pick<ProjectInfo, 'type' | 'entry'> | null {
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
  /** Where the unpack thread rehearses (unpack-worker.ts): emptied at start, like .staging. */
  private readonly rehearsal: string;
  private sequence = 0;
  private readonly unpacker: UnpackThread;

  constructor(
    readonly root: string,
    private readonly builtinDefault: string,
    private readonly limits: UnpackLimits,
  ) {
    this.current = join(root, 'current');
    this.previous = join(root, '.previous');
    this.releases = join(root, '.releases');
    this.staging = join(root, '.staging');
    this.rehearsal = join(root, '.rehearsal');
    this.unpacker = new UnpackThread({ rehearsalDir: this.rehearsal });
  }

  /**
   * Create the folders, seed default/ when it is missing, and repair what a crashed run
   * left: uploads half unpacked, temporary links, a lost `current`, releases nothing
   * points at (a staged upload that never became current). Run once, at broker start,
   * before any worker can use storage.
   */
  async init(): Promise<void> {
    await mkdir(this.releases, { recursive: true });
    await mkdir(this.staging, { recursive: true });
    // Without a package.json of their own, projects would inherit the nearest one above
    // storage (possibly the broker's "type": "module"); this one has no "type", so a
    // project's main.js is CommonJS unless its own package.json says otherwise.
    await writeOnce(join(this.releases, 'package.json'), '{ "private": true }\n');
    const defaultDir = join(this.root, 'default');
    if (!existsSync(defaultDir)) await cp(this.builtinDefault, defaultDir, { recursive: true });
    await this.repair();
    this.unpacker.warm(); // the first upload then finds its thread ready
  }

  private async repair(): Promise<void> {
    // Whatever is in .staging belongs to a run that died mid-upload.
    await rm(this.staging, { recursive: true, force: true });
    await mkdir(this.staging, { recursive: true });
    await rm(this.rehearsal, { recursive: true, force: true }); // a rehearsal the server was killed in
    await mkdir(this.rehearsal, { recursive: true });
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

  /** The project to run: its real folder (a release, or a current/ folder made by hand); made from default/ when missing or empty. */
  async resolveCurrent(): Promise<ProjectInfo> {
    let found = existsSync(this.current) ? detectEntry(this.current) : null;
    if (!found) {
      const release = this.newRelease('default');
      await cp(join(this.root, 'default'), release, { recursive: true });
      await this.makeCurrent(release);
      found = detectEntry(this.current);
      if (!found) throw new BrokerError('E_NO_ENTRY', 'the default project has no entry module');
    }
    const dir = (await isSymlink(this.current)) ? join(this.root, await readlink(this.current)) : this.current;
    return { dir, ...found };
  }

  /** Room for an upload of `total` bytes arriving in pieces: it is unpacked into .staging while it arrives, then `stage()`d. */
  receive(total: number): IncomingUpload {
    return this.unpacker.open(total, join(this.staging, this.uniqueName('upload')), this.limits);
  }

  /** Unpack and check an uploaded ZIP into a staged release (not current); unpacking may take `timeoutMs`. */
  async stage(upload: Upload, id: number, timeoutMs: number): Promise<StagedRelease> {
    const inPieces = upload instanceof IncomingUpload;
    const stage = inPieces ? upload.target : join(this.staging, this.uniqueName(String(id)));
    // An upload in pieces has its folder already: the unpack thread made it at the first piece (and
    // writing the files makes it again if that failed). A mkdir here, after the last piece, waited
    // 0-15 ms behind the disk writes of the files written ahead (docs/PERFORMANCE.md).
    if (!inPieces) await diskFull(mkdir(stage, { recursive: true }));
    try {
      const { files, bytes } = await this.unpacker.unpack(upload, stage, this.limits, timeoutMs);
      crashPoint('unpacked');
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
      // TypeScript without a package.json runs as ES modules (top-level await): said here, where storage is writable.
      if (found.type === 'typescript' && !existsSync(join(projectDir, 'package.json'))) {
        await diskFull(writeFile(join(projectDir, 'package.json'), '{ "type": "module" }\n'));
      }
      const release = this.newRelease(String(id));
      await diskFull(rename(projectDir, release));
      crashPoint('staged');
      return { dir: release, ...found, files, bytes };
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  }

  /** Make a verified staged release current; the old current becomes .previous. Older releases stay until `prune()`. */
  activate(staged: StagedRelease): Promise<void> {
    return diskFull(this.makeCurrent(staged.dir));
  }

  /** Remove the releases that are neither current nor .previous. Housekeeping: what it cannot remove now, init() removes at the next start. */
  prune(): Promise<void> {
    return this.pruneReleases().catch(() => {});
  }

  /** Stop the unpack thread. */
  close(): Promise<void> {
    return this.unpacker.close();
  }

  /** Throw a staged release away: it never became current. */
  async discard(staged: StagedRelease): Promise<void> {
    await rm(staged.dir, { recursive: true, force: true });
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
    crashPoint('previous-linked');
    await swapLink(join('.releases', basename(release)), this.current);
    crashPoint('swapped');
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
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A full disk while installing an upload is E_DISK_FULL; the previous project stays. */
async function diskFull<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new BrokerError('E_DISK_FULL', `the disk under the storage folder is full (${code}): the upload was not installed`, { errno: code });
    }
    throw err;
  }
}

/** Make `path` hold `content`, never letting a reader see it half-written (a worker may be importing a project beside it). */
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
