/**
 * Watch a folder tree for changes, including editors' atomic saves (write a
 * temporary file, rename it over the original).
 *
 * macOS and Windows: fs.watch's native recursive mode. Linux: one fs.watch per
 * folder. Node 20's recursive mode on Linux watches each *file's* inode, so after an
 * atomic save it keeps watching the replaced file and misses every later save; a
 * folder's watch reports changes to whatever file has the name now.
 */
import { lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface TreeWatcher {
  close(): void;
}

export interface WatchTreeOptions {
  /** Relative paths (`sep`-separated) whose changes are ignored and whose folders are not watched. */
  ignore(relativePath: string): boolean;
  /** Something under the root changed: the relative path, when the platform says. */
  onChange(relativePath: string | null): void;
  /** Watching failed (the root vanished, the inotify watch limit): the watcher is closed. */
  onError(error: Error): void;
}

export function watchTree(root: string, options: WatchTreeOptions): TreeWatcher {
  if (process.platform === 'darwin' || process.platform === 'win32') {
    const native = watch(root, { recursive: true }, (_event, name) => {
      const rel = name === null ? null : String(name);
      if (rel === null || !options.ignore(rel)) options.onChange(rel);
    });
    native.on('error', (e) => {
      native.close();
      options.onError(e);
    });
    return { close: () => native.close() };
  }
  return new FolderWatchers(root, options);
}

class FolderWatchers implements TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly options: WatchTreeOptions,
  ) {
    this.add(root);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private add(dir: string): void {
    if (this.closed || this.watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => this.changed(dir, name === null ? null : String(name)));
    } catch (e) {
      this.fail(dir, e as Error);
      return;
    }
    watcher.on('error', (e) => this.fail(dir, e));
    this.watchers.set(dir, watcher);
    for (const sub of subfolders(dir)) if (!this.options.ignore(relative(this.root, sub))) this.add(sub);
  }

  private changed(dir: string, name: string | null): void {
    if (this.closed) return;
    const path = name === null ? dir : join(dir, name);
    const rel = relative(this.root, path);
    if (rel !== '' && this.options.ignore(rel)) return;
    if (isFolder(path)) {
      // A new folder (made, moved in): watch it and whatever it already holds.
      this.add(path);
    } else {
      this.drop(path);
    }
    this.options.onChange(rel === '' ? null : rel);
  }

  /** A folder was removed or moved away: stop watching it and everything under it. */
  private drop(path: string): void {
    for (const [dir, w] of this.watchers) {
      if (dir === path || dir.startsWith(path + sep)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
  }

  private fail(dir: string, error: Error): void {
    if (this.closed) return;
    if (dir !== this.root && (error as NodeJS.ErrnoException).code !== 'ENOSPC') {
      // A subfolder that vanished between the event and the watch: not an error.
      this.drop(dir);
      return;
    }
    this.close();
    this.options.onError(error);
  }
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

function isFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
