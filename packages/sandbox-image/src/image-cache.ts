import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SandboxImageError } from './errors.js';

/** What a built userland or npm layer records about itself (`manifest.json` next to its tree). */
export interface ImageManifest {
  kind: 'userland' | 'npm-layer';
  /** The full sha256 digest of what was built (recipe, or userland + npm packages). */
  digest: string;
  suite?: string;
  /** Every package of the tree: Debian packages (userland) or npm specs (layer). */
  packages: string[];
  /** The packages beyond the base list (a group's `packages.apt`). */
  extraPackages?: string[];
  /** userland: node and npm versions; npm layer: the userland digest it was built on. */
  node?: string;
  npm?: string;
  userland?: string;
  /** The Debian mirror, without any user or password in its URL. */
  mirror?: string;
  /**
   * userland: the host uid the build's root (maintainer scripts, customize hooks) ran as, read from the build's
   * own /proc/self/uid_map: never 0 (see `buildUserland`).
   */
  rootMappedTo?: number;
  builtAt: string;
  buildMs: number;
  sizeBytes: number;
  files: number;
}

export interface CachedImage {
  manifest: ImageManifest;
  /** The folder holding `manifest.json` and `tree/`. */
  dir: string;
  /** The built tree: a root file system (userland) or the contents of /usr/local (npm layer). */
  tree: string;
}

/** Where built userlands live by default: /var/cache/nanoclaw/userland as root, else ~/.cache/nanoclaw/userland. */
export function defaultImageCacheDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (process.getuid?.() === 0) return '/var/cache/nanoclaw/userland';
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nanoclaw', 'userland');
}

/** The folder name of a built image: its kind and the first 16 hex of its digest. */
export function imageDirName(kind: ImageManifest['kind'], digest: string): string {
  return `${kind === 'userland' ? 'userland' : 'npm'}-${digest.slice(0, 16)}`;
}

/**
 * The cache of built trees: `<cacheDir>/<kind>-<digest16>/{manifest.json,tree/}`, written by building into a
 * staging folder and renaming it into place once complete, so a half-built tree is never found.
 */
export class ImageCache {
  /** The cache folder, absolute (it names the cache in image labels). */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** Creates the cache folder (0755: sandbox users read the trees) and refuses one another user could change. */
  async prepare(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
    const stat = await fs.lstat(this.dir);
    const uid = process.getuid?.();
    if (!stat.isDirectory()) throw new SandboxImageError('unsafe-cache', `${this.dir} is not a directory`);
    if (uid !== undefined && stat.uid !== uid) {
      throw new SandboxImageError(
        'unsafe-cache',
        `image cache ${this.dir} is owned by uid ${stat.uid}, not by this user (${uid})`,
      );
    }
    if ((stat.mode & 0o022) !== 0)
      throw new SandboxImageError('unsafe-cache', `image cache ${this.dir} is group- or world-writable`);
  }

  /**
   * The complete image of `kind` and `digest`, if the cache holds one: its manifest, and a tree that is whole (a
   * userland's `usr/bin/node`; an npm layer owned by this user with no write bit), else undefined (rebuilt).
   */
  async find(kind: ImageManifest['kind'], digest: string): Promise<CachedImage | undefined> {
    const dir = path.join(this.dir, imageDirName(kind, digest));
    const manifest = await readManifest(dir);
    if (manifest?.digest !== digest || manifest.kind !== kind) return undefined;
    const tree = path.join(dir, 'tree');
    return (await isWholeTree(kind, tree)) ? { manifest, dir, tree } : undefined;
  }

  /** Every complete image in the cache, newest first. */
  async list(): Promise<CachedImage[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const found: CachedImage[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const dir = path.join(this.dir, name);
      const manifest = await readManifest(dir);
      if (manifest && name === imageDirName(manifest.kind, manifest.digest))
        found.push({ manifest, dir, tree: path.join(dir, 'tree') });
    }
    return found.sort((a, b) => b.manifest.builtAt.localeCompare(a.manifest.builtAt));
  }

  /**
   * A fresh staging folder with an empty `tree/` (0755) for the build holding lock `lockName`: named after it, so
   * a folder left by a killed build is known as stale (its lock has no live holder) and removed here.
   */
  async stage(lockName: string): Promise<string> {
    await this.prepare();
    await this.removeStale();
    const staging = path.join(this.dir, `${STAGING}${lockName}.${randomBytes(6).toString('hex')}`);
    await fs.mkdir(staging, { mode: 0o755 });
    await fs.chmod(staging, 0o755);
    await fs.mkdir(path.join(staging, 'tree'), { mode: 0o755 });
    return staging;
  }

  /**
   * Writes the manifest into `staging` and moves it into place. An image already there (a refresh, a damaged
   * tree) is moved aside as `.retired-*` first, never deleted under a sandbox that may still run on it: `prune`
   * removes it, and so does a later build once it is a day old.
   */
  async commit(staging: string, manifest: ImageManifest): Promise<CachedImage> {
    await fs.writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: 0o644,
    });
    const name = imageDirName(manifest.kind, manifest.digest);
    const dir = path.join(this.dir, name);
    await fs.rename(dir, path.join(this.dir, `${RETIRED}${name}.${Date.now()}`)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    await fs.rename(staging, dir);
    return { manifest, dir, tree: path.join(dir, 'tree') };
  }

  async discard(staging: string): Promise<void> {
    await removeTree(staging);
  }

  /**
   * Removes what no build needs: staging folders whose build is gone (no live lock holder), retired images older
   * than a day, and lock debris older than an hour. Runs before every build.
   */
  async removeStale(): Promise<Array<{ path: string; bytes: number }>> {
    return this.sweep({ retiredOlderThanMs: DAY_MS });
  }

  /**
   * Frees the cache of everything not in `keep` (full digests of the images current bases and groups use):
   * other images, every retired one, stale staging folders and dead locks. Returns what it removed.
   */
  async prune(keep: ReadonlySet<string>): Promise<Array<{ path: string; bytes: number }>> {
    const removed = await this.sweep({ retiredOlderThanMs: 0 });
    for (const image of await this.list()) {
      if (keep.has(image.manifest.digest)) continue;
      const lockName = imageLockName(image.manifest.kind, image.manifest.digest);
      const gone = await this.withLock(lockName, async () => {
        await removeTree(image.dir);
        return { path: image.dir, bytes: image.manifest.sizeBytes };
      });
      removed.push(gone);
    }
    for (const name of await this.names()) {
      const holder =
        name.startsWith(LOCK) && !name.includes('.', LOCK.length)
          ? await readLock(path.join(this.dir, name))
          : undefined;
      if (holder && !isAlive(holder.pid) && (await this.breakLock(path.join(this.dir, name), holder)))
        removed.push({ path: path.join(this.dir, name), bytes: 0 });
    }
    return removed;
  }

  /**
   * Runs `build` holding `<dir>/.lock-<name>`: created whole and exclusively (a temporary file holding our pid
   * and a nonce, hard-linked into place). Another live holder is waited for (polling). A holder that died is
   * taken over atomically: of all the waiters that saw the same dead lock, only the one that creates its
   * `.takeover-<id>` marker (exclusively) removes it; the others go on waiting. The caller checks again whether
   * the work is done.
   */
  async withLock<T>(name: string, build: () => Promise<T>, waitMs = 30 * 60_000): Promise<T> {
    await this.prepare();
    const lock = path.join(this.dir, `${LOCK}${name}`);
    const mine = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
    const deadline = Date.now() + waitMs;
    while (!(await this.tryLock(lock, mine))) {
      const holder = await readLock(lock);
      const live = holder !== undefined && isAlive(holder.pid);
      if (holder && !live && (await this.breakLock(lock, holder))) continue;
      if (Date.now() > deadline) {
        throw new SandboxImageError(
          'build-failed',
          `another build (pid ${holder?.pid ?? 'unknown'}) holds ${lock} for too long`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, live ? 500 : 50));
    }
    try {
      return await build();
    } finally {
      if ((await fs.readFile(lock, 'utf8').catch(() => '')) === mine) await fs.rm(lock, { force: true });
    }
  }

  /** Whether a lock held by `holder` at `lock` is absent now (removed here, or by another waiter). */
  private async breakLock(lock: string, holder: LockHolder): Promise<boolean> {
    try {
      const marker = await fs.open(`${lock}.takeover-${holder.id}`, 'wx', 0o644);
      await marker.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    // Only this process got the marker for this lock: it is still the dead holder's (only it could remove it).
    await fs.rm(lock, { force: true });
    return true;
  }

  private async tryLock(lock: string, content: string): Promise<boolean> {
    const temporary = `${lock}.new-${randomBytes(6).toString('hex')}`;
    await fs.writeFile(temporary, content, { mode: 0o644, flag: 'wx' });
    try {
      await fs.link(temporary, lock);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  private async names(): Promise<string[]> {
    return fs.readdir(this.dir).catch(() => [] as string[]);
  }

  /** Stale staging folders, retired images older than the limit, and lock debris older than an hour. */
  private async sweep(limits: {
    retiredOlderThanMs: number;
  }): Promise<Array<{ path: string; bytes: number }>> {
    const removed: Array<{ path: string; bytes: number }> = [];
    const now = Date.now();
    for (const name of await this.names()) {
      const file = path.join(this.dir, name);
      let stale = false;
      if (name.startsWith(STAGING)) stale = !(await this.isLockLive(stagingLockName(name)));
      else if (name.startsWith(RETIRED)) stale = now - retiredAt(name) >= limits.retiredOlderThanMs;
      else if (name.startsWith(LOCK) && /\.(takeover|new)-[0-9a-f]+$/.test(name))
        stale = now - ((await fs.lstat(file).catch(() => undefined))?.mtimeMs ?? now) > HOUR_MS;
      const size = stale ? await treeSize(file).catch(() => undefined) : undefined;
      if (!size) continue;
      await removeTree(file);
      removed.push({ path: file, bytes: size.bytes });
    }
    return removed;
  }

  private async isLockLive(name: string | undefined): Promise<boolean> {
    if (!name) return false;
    const holder = await readLock(path.join(this.dir, `${LOCK}${name}`));
    return holder !== undefined && isAlive(holder.pid);
  }
}

const STAGING = '.staging-';
const RETIRED = '.retired-';
const LOCK = '.lock-';
const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

/** The lock a build of this image holds (one build per image at a time, across processes). */
export function imageLockName(kind: ImageManifest['kind'], digest: string): string {
  return imageDirName(kind, digest);
}

/** `.staging-<lock name>.<random>` → the lock name (undefined for a name this version did not make). */
function stagingLockName(name: string): string | undefined {
  const match = name.slice(STAGING.length).match(/^(.+)\.[0-9a-f]{12}$/);
  return match?.[1];
}

/** `.retired-<image>.<ms>` → when it was retired (0, i.e. long ago, when unreadable). */
function retiredAt(name: string): number {
  return Number(name.match(/\.(\d+)$/)?.[1] ?? 0);
}

interface LockHolder {
  pid: number;
  /** Identifies this lock file among all that ever had the name (nonce, inode and time). */
  id: string;
}

async function readLock(lock: string): Promise<LockHolder | undefined> {
  try {
    const [content, stat] = await Promise.all([fs.readFile(lock, 'utf8'), fs.stat(lock, { bigint: true })]);
    const id = createHash('sha256')
      .update(`${content}|${stat.ino}|${stat.mtimeNs}`)
      .digest('hex')
      .slice(0, 16);
    return { pid: Number.parseInt(content, 10), id };
  } catch {
    return undefined;
  }
}

/** Whether a tree is whole: a userland has `usr/bin/node`; an npm layer is ours and read-only (see npm-layer). */
async function isWholeTree(kind: ImageManifest['kind'], tree: string): Promise<boolean> {
  if (kind === 'userland') {
    const node = await fs.lstat(path.join(tree, 'usr/bin/node')).catch(() => undefined);
    return node?.isFile() === true;
  }
  const stat = await fs.lstat(tree).catch(() => undefined);
  const uid = process.getuid?.();
  return stat?.isDirectory() === true && (uid === undefined || stat.uid === uid) && (stat.mode & 0o222) === 0;
}

async function readManifest(dir: string): Promise<ImageManifest | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as ImageManifest;
    return typeof parsed.digest === 'string' && typeof parsed.kind === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `rm -rf` that also works on a read-only tree (an npm layer) when not root: on EACCES its directories are made
 * writable for their owner first (never through a symlink), then removed.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
    await fs.chmod(dir, 0o700);
    for (const entry of entries)
      if (entry.isDirectory()) await fs.chmod(path.join(entry.parentPath, entry.name), 0o700);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Total size (bytes, as `lstat` reports) and file count of a tree; symlinks are counted, never followed. */
export async function treeSize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const stat = await fs.lstat(path.join(entry.parentPath, entry.name)).catch(() => undefined);
    if (!stat) continue;
    bytes += stat.size;
    files++;
  }
  return { bytes, files };
}
