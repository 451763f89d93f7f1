/**
 * What a sandboxed worker sees, as bubblewrap arguments. The host's root, read-only,
 * with the broker's secrets and other people's files covered by empty tmpfs folders,
 * then the few things the worker needs bound back in:
 *
 *   /                          the host, read-only
 *   /tmp, /var/tmp             private, empty, writable (gone with the worker)
 *   /root, /home, /run,        hidden: empty tmpfs (keys, tokens, the docker socket)
 *   /var/log
 *   the config's folder,       hidden
 *   the log folders, storage,
 *   the broker's checkout
 *   <checkout>/dist, node_modules, package.json, python_runner.py, the built-in default
 *                              bound back read-only: the worker's own code
 *   node's and python's install prefix, when hidden above: bound back read-only
 *   the ipc socket files       bound back: the worker's way to the server
 *   /run/robot/data            the robot data folder (worker.data_dir), writable
 *   /run/robot/project         this worker's project slot, read-only (project-slot.ts)
 *   worker.allow_paths         bound read-write (devices as devices), or read-only with ":ro"
 *   /proc                      a new one: only the sandbox's own processes
 *   /dev                       a minimal one (null, zero, random, tty, pts, shm)
 *
 * Namespaces: pid (the server is invisible and cannot be signalled), ipc, uts, cgroup,
 * user, and net unless worker.network (robots talk to hardware over the network).
 * All capabilities dropped (as root, bwrap keeps them otherwise: robot code could
 * unmount the tmpfs over the config); killed with its parent (`--die-with-parent`: the
 * server's death takes the sandbox down). No `--new-session`: the server already starts
 * bwrap in a session of its own with no terminal (detached), and a new session would take
 * the sandbox out of the worker's process group, which is what kills a sandbox stopped
 * while bwrap still sets it up (its init arms --die-with-parent only after the mounts).
 */
import { lstatSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Fixed paths inside the sandbox. */
export const INSIDE = {
  data: '/run/robot/data',
  project: '/run/robot/project',
  tmp: '/tmp',
} as const;

/** The sandbox's own /tmp: hidden from the host's view and writable. */
const PRIVATE_TMP: readonly string[] = ['/tmp', '/var/tmp'];
/** Host folders hidden from every sandboxed worker. */
export const SYSTEM_HIDDEN: readonly string[] = ['/tmp', '/var/tmp', '/root', '/home', '/run', '/var/log'];
/** Host files covered by /dev/null: readable by uid 0, which the sandbox still is. */
export const SYSTEM_BLANKED: readonly string[] = ['/etc/shadow', '/etc/gshadow', '/etc/sudoers'];
/** Folders the system needs: never hidden, even if a config or log folder is one of them. */
const SYSTEM_NEEDED: readonly string[] = ['/', '/usr', '/etc', '/bin', '/sbin', '/lib', '/lib64', '/opt', '/var', '/srv', '/dev', '/proc', '/sys'];

export interface AllowPath {
  path: string;
  writable: boolean;
}

export interface BwrapInputs {
  /** Host folders to hide beyond SYSTEM_HIDDEN (config, logs, storage, the checkout). */
  hide: readonly string[];
  /** Host paths bound back read-only at the same place (the worker's code, interpreters). */
  expose: readonly string[];
  /** The robot data folder on the host. */
  dataDir: string;
  /** This worker's project slot on the host. */
  slotDir: string;
  allowPaths: readonly AllowPath[];
  network: boolean;
}

/** The bwrap arguments (before `--` and the command). */
export function bwrapArgs(i: BwrapInputs): string[] {
  const args = ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev'];
  const hidden = hiddenFolders([...SYSTEM_HIDDEN, ...i.hide]);
  for (const dir of hidden) args.push('--tmpfs', dir);
  for (const file of SYSTEM_BLANKED) if (exists(file)) args.push('--ro-bind', '/dev/null', file);
  // Parents before children: a bind made later over a parent would cover one made inside it.
  for (const p of parentsFirst(i.expose)) args.push('--ro-bind-try', p, p);
  args.push('--bind', i.dataDir, INSIDE.data, '--ro-bind', i.slotDir, INSIDE.project);
  for (const a of i.allowPaths) {
    const flag = !a.writable ? '--ro-bind-try' : isDevice(a.path) ? '--dev-bind-try' : '--bind-try';
    args.push(flag, a.path, a.path);
  }
  // The hiding tmpfs folders held only mount points for the binds above: nothing may be written beside them.
  for (const dir of hidden) if (!PRIVATE_TMP.includes(dir)) args.push('--remount-ro', dir);
  args.push('--unshare-all', ...(i.network ? ['--share-net'] : []));
  args.push('--cap-drop', 'ALL', '--die-with-parent', '--chdir', INSIDE.data);
  return args;
}

/**
 * The folders to cover, parents first, without those inside another (already hidden)
 * and without any the system needs (a config in /etc must not hide /etc: the config
 * file is then visible, and the broker says so at start).
 */
export function hiddenFolders(paths: readonly string[]): string[] {
  const dirs = parentsFirst(paths.map((p) => resolve(p))).filter((p) => !SYSTEM_NEEDED.includes(p) && isDir(p));
  const out: string[] = [];
  for (const d of dirs) if (!out.some((o) => isInside(d, o))) out.push(d);
  return out;
}

/** Paths the sandbox would leave visible although they were asked to be hidden. */
export function notHideable(paths: readonly string[]): string[] {
  return dedupe(paths.map((p) => resolve(p))).filter((p) => SYSTEM_NEEDED.includes(p));
}

/** The folder that holds an interpreter's installation: `<prefix>/bin/node` -> `<prefix>`, `~/.pyenv/shims/python3` -> `~/.pyenv`. */
export function installPrefix(executable: string): string {
  return dirname(dirname(executable));
}

/** True when `p` is `dir` or inside it. */
export function isInside(p: string, dir: string): boolean {
  const rel = relative(dir, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The interpreters' install prefixes to bind back: only those a hidden folder covers (a
 * bind of a visible path is noise), and never one that would bring a hidden folder back
 * (a prefix of /tmp, or one holding the config): then the executable alone.
 */
export function interpreterBinds(executables: readonly string[], hide: readonly string[]): string[] {
  const hidden = hiddenFolders([...SYSTEM_HIDDEN, ...hide]);
  const covered = (p: string) => hidden.some((h) => isInside(p, h));
  const out: string[] = [];
  for (const exe of dedupe(executables)) {
    if (!covered(exe)) continue;
    const prefix = installPrefix(exe);
    const revealing = hidden.some((h) => isInside(h, prefix)) || hide.some((h) => isInside(resolve(h), prefix));
    out.push(revealing ? exe : prefix);
  }
  return dedupe(out);
}

function dedupe(paths: readonly string[]): string[] {
  return [...new Set(paths)];
}

function parentsFirst(paths: readonly string[]): string[] {
  return dedupe(paths).sort((a, b) => a.length - b.length);
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory(); // a symlink (/var/run -> /run) is covered through its target
  } catch {
    return false;
  }
}

function isDevice(p: string): boolean {
  try {
    const s = statSync(p);
    return s.isCharacterDevice() || s.isBlockDevice();
  } catch {
    return p.startsWith(join('/dev', '/')); // not plugged in yet: a path under /dev is a device
  }
}
