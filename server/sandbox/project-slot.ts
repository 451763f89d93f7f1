/**
 * How a sandboxed worker gets its project. Spares are spawned before anyone knows
 * which release they will load, and a sandbox's bind mounts are fixed when it starts,
 * so each worker is given an empty *slot* at spawn: a host folder of its own, bound
 * read-only at /run/robot/project. `fill` puts a release in it from outside (hard
 * links, so a release of any size takes a moment and no space; a copy where the
 * release is on another filesystem), and the worker loads it from the fixed path.
 * Nothing else of storage is visible to it. The slot is removed with its worker.
 *
 * On the host: <storage_dir>/.slots/<generation>/. A release is never modified once
 * unpacked, so sharing its inodes is safe; the slot's read-only bind keeps robot
 * code from writing through them.
 */
import { copyFile, link, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { INSIDE } from './bwrap.js';

export const SLOTS_DIR = '.slots';

export class ProjectSlot {
  private filledFrom: string | null = null;

  private constructor(readonly hostDir: string) {}

  /** Make the (empty) slot of `generation`; synchronous: bwrap needs it before the spawn. */
  static create(storageDir: string, generation: number): ProjectSlot {
    const dir = join(storageDir, SLOTS_DIR, String(generation));
    rmSync(dir, { recursive: true, force: true }); // left by a crashed run with the same numbering
    mkdirSync(dir, { recursive: true });
    return new ProjectSlot(dir);
  }

  /** Remove every slot (at start: no worker of an earlier run can be using one). */
  static clearAll(storageDir: string): void {
    rmSync(join(storageDir, SLOTS_DIR), { recursive: true, force: true });
  }

  /** Put the release at `releaseDir` in the slot; the path where the worker sees it. */
  async fill(releaseDir: string): Promise<string> {
    if (this.filledFrom !== releaseDir) {
      // One project per worker; a second fill replaces the first (the worker must not have loaded it).
      if (this.filledFrom !== null) await this.empty();
      await mirror(releaseDir, this.hostDir);
      this.filledFrom = releaseDir;
    }
    return INSIDE.project;
  }

  async remove(): Promise<void> {
    await rm(this.hostDir, { recursive: true, force: true });
  }

  private async empty(): Promise<void> {
    for (const name of await readdir(this.hostDir)) await rm(join(this.hostDir, name), { recursive: true, force: true });
  }
}

/** Recreate the tree at `from` under `to`: folders made, files hard-linked (copied across filesystems), symlinks kept. */
async function mirror(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      await mkdir(dst);
      await mirror(src, dst);
    } else if (entry.isSymbolicLink()) {
      await symlink(await readlink(src), dst);
    } else if (entry.isFile()) {
      await link(src, dst).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV' && err.code !== 'EPERM' && err.code !== 'EMLINK') throw err;
        await copyFile(src, dst);
      });
    }
  }
}
