import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface SandboxOwner {
  uid: number;
  gid: number;
}

export interface ChownTreeResult {
  /** Entries whose owner was changed. */
  changed: number;
  /**
   * Entries left alone on purpose: hard-linked files (a link to a file elsewhere must not hand that file to the
   * sandbox), entries on another file system, and anything deeper than `maxDepth`.
   */
  skipped: string[];
}

const OPEN_DIR_NOFOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Whether `chownTree` can work here (it walks through `/proc/self/fd`, so Linux only). */
export function canChownTree(): boolean {
  return process.platform === 'linux';
}

export interface ChownTreeOptions {
  /** How deep to go (default 64); deeper entries are skipped. */
  maxDepth?: number;
  /**
   * Hard-linked regular files: `skip` (default) when handing a folder to a sandbox (a link to a file elsewhere
   * must not give that file away); `change` when taking a tree back from one (the link then loses its owner too).
   */
  hardLinks?: 'skip' | 'change';
  /** Also clear every write bit (files and directories, never through a symlink): a tree nobody may change. */
  readOnly?: boolean;
}

/**
 * Gives `dir` and everything inside it to `owner` (root only), without ever following a symlink and without
 * leaving `dir`: each directory is opened with `O_NOFOLLOW` and its entries are reached through the open
 * descriptor (`/proc/self/fd/<fd>/<name>`), so a sandbox that swaps a sub-folder for a symlink while the walk
 * runs (another session of the same group may be live) cannot redirect a chown outside the folder. Entries
 * are changed with `lchown` (a symlink gets a new owner, its target never does). Hard-linked regular files
 * (unless `hardLinks: 'change'`) and other file systems mounted inside are skipped. Only entries with another
 * owner are touched, except that `readOnly` clears the write bits of every entry.
 */
export async function chownTree(
  dir: string,
  owner: SandboxOwner,
  options: ChownTreeOptions = {},
): Promise<ChownTreeResult> {
  if (!canChownTree()) throw new Error('chownTree needs /proc/self/fd (Linux)');
  const result: ChownTreeResult = { changed: 0, skipped: [] };
  const top = await fs.open(dir, OPEN_DIR_NOFOLLOW);
  try {
    const stat = await top.stat();
    if (stat.uid !== owner.uid || stat.gid !== owner.gid) {
      await top.chown(owner.uid, owner.gid);
      result.changed++;
    }
    await walk(top, dir, stat.dev, owner, options.maxDepth ?? 64, options, result);
    // The top last: its entries are changed while it still lets us.
    if (options.readOnly) await top.chmod(stat.mode & 0o7555);
  } finally {
    await top.close();
  }
  return result;
}

async function walk(
  handle: FileHandle,
  shownPath: string,
  dev: number,
  owner: SandboxOwner,
  depthLeft: number,
  options: ChownTreeOptions,
  result: ChownTreeResult,
): Promise<void> {
  const base = `/proc/self/fd/${handle.fd}`;
  let names: string[];
  try {
    names = await fs.readdir(base);
  } catch (error) {
    if (isGone(error)) return;
    throw error;
  }
  for (const name of names) {
    const entry = `${base}/${name}`;
    const shown = path.join(shownPath, name);
    const stat = await fs.lstat(entry).catch((error: unknown) => {
      if (isGone(error)) return null;
      throw error;
    });
    if (!stat) continue;
    if (stat.dev !== dev) {
      result.skipped.push(shown);
      continue;
    }
    if (stat.uid !== owner.uid || stat.gid !== owner.gid) {
      if (stat.isFile() && stat.nlink > 1 && options.hardLinks !== 'change') {
        result.skipped.push(shown);
        continue;
      }
      try {
        await fs.lchown(entry, owner.uid, owner.gid);
        result.changed++;
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    // A directory's own bits are cleared after its entries (below): it must stay writable while they change.
    if (options.readOnly && !stat.isDirectory() && !stat.isSymbolicLink())
      await clearWriteBits(entry, stat.mode);
    if (!stat.isDirectory()) continue;
    if (depthLeft <= 0) {
      result.skipped.push(shown);
      continue;
    }
    let child: FileHandle;
    try {
      child = await fs.open(entry, OPEN_DIR_NOFOLLOW);
    } catch (error) {
      // Gone, or swapped for a symlink / file since the lstat (ELOOP, ENOTDIR): not ours to follow.
      if (isGone(error) || isNotDir(error)) continue;
      throw error;
    }
    try {
      const opened = await child.stat();
      if (opened.ino !== stat.ino || opened.dev !== stat.dev) {
        result.skipped.push(shown);
        continue;
      }
      await walk(child, shown, dev, owner, depthLeft - 1, options, result);
      if (options.readOnly) await child.chmod(opened.mode & 0o7555);
    } finally {
      await child.close();
    }
  }
}

/**
 * The first directory on the way to `target` (its ancestors, and `target` itself when it is a directory) that
 * `owner` cannot traverse (no search permission for its uid / gid / others), or undefined. bubblewrap binds a
 * mount source as the sandbox uid, so each one must be reachable by it.
 */
export async function findUntraversable(target: string, owner: SandboxOwner): Promise<string | undefined> {
  let real: string;
  try {
    real = await fs.realpath(target);
  } catch {
    return undefined; // verifyMounts reports a missing source with a better message
  }
  const dirs: string[] = [];
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    dirs.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  const self = await fs.stat(real);
  if (self.isDirectory()) dirs.push(real);
  for (const dir of dirs) {
    const stat = await fs.stat(dir);
    const bit = stat.uid === owner.uid ? 0o100 : stat.gid === owner.gid ? 0o010 : /* others */ 0o001;
    if ((stat.mode & bit) === 0) return dir;
  }
  return undefined;
}

/** `chmod a-w` of an entry that is not a symlink (chmod would follow one), reached through its parent's fd. */
async function clearWriteBits(entry: string, mode: number): Promise<void> {
  if ((mode & 0o222) === 0) return;
  try {
    await fs.chmod(entry, mode & 0o7555);
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

function isGone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function isNotDir(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ELOOP' || code === 'ENOTDIR';
}
