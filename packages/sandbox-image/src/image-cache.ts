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
  mirror?: string;
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
  constructor(readonly dir: string) {}

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

  async find(kind: ImageManifest['kind'], digest: string): Promise<CachedImage | undefined> {
    const dir = path.join(this.dir, imageDirName(kind, digest));
    const manifest = await readManifest(dir);
    if (manifest?.digest !== digest || manifest.kind !== kind) return undefined;
    return { manifest, dir, tree: path.join(dir, 'tree') };
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

  /** A fresh staging folder with an empty `tree/` (0755). */
  async stage(): Promise<string> {
    await this.prepare();
    const staging = await fs.mkdtemp(path.join(this.dir, '.staging-'));
    await fs.chmod(staging, 0o755);
    await fs.mkdir(path.join(staging, 'tree'), { mode: 0o755 });
    return staging;
  }

  /** Writes the manifest into `staging` and moves it into place; an image built meanwhile by another process wins. */
  async commit(staging: string, manifest: ImageManifest): Promise<CachedImage> {
    await fs.writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: 0o644,
    });
    const dir = path.join(this.dir, imageDirName(manifest.kind, manifest.digest));
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
    return { manifest, dir, tree: path.join(dir, 'tree') };
  }

  async discard(staging: string): Promise<void> {
    await fs.rm(staging, { recursive: true, force: true });
  }

  /**
   * Runs `build` holding `<dir>/.lock-<name>` (created exclusively, holding our pid). Another live holder is
   * waited for (polling); a holder that died is taken over. The caller checks again whether the work is done.
   */
  async withLock<T>(name: string, build: () => Promise<T>, waitMs = 30 * 60_000): Promise<T> {
    await this.prepare();
    const lock = path.join(this.dir, `.lock-${name}`);
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const handle = await fs.open(lock, 'wx', 0o644);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number.parseInt(await fs.readFile(lock, 'utf8').catch(() => ''), 10);
        if (!isAlive(holder)) {
          await fs.rm(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) {
          throw new SandboxImageError(
            'build-failed',
            `another build (pid ${holder}) holds ${lock} for too long`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    try {
      return await build();
    } finally {
      await fs.rm(lock, { force: true });
    }
  }
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
