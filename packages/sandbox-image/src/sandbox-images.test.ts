import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '@nanoclaw/container-runner';
import { IN_CI } from '@nanoclaw/container-runner/test';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILD_ACCOUNT_NAME, findUnreadableBy } from './build-account.js';
import type { BuildProgress } from './build-progress.js';
import { buildUserland } from './build-userland.js';
import { isSandboxImageError } from './errors.js';
import { ImageCache, imageLockName } from './image-cache.js';
import { userlandDigest, userlandRecipe } from './recipe.js';
import { createSandboxImages } from './sandbox-images.js';

const IS_ROOT = process.getuid?.() === 0;
const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

/** A fresh cache folder the build account can reach (mkdtemp makes 0700 folders). */
async function freshCacheDir(): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-userland-test-'));
  roots.push(root);
  await fs.chmod(root, 0o755);
  return path.join(root, 'cache');
}

const cacheDir = await freshCacheDir();
const images = createSandboxImages({ cacheDir });
const builder = await images.builder();
if (!builder.ok && IN_CI)
  throw new Error(`CI must build the agent userland: ${builder.reason} (${builder.hint})`);
if (!builder.ok) console.warn(`[sandbox-image] real build skipped: ${builder.reason} (${builder.hint})`);

/**
 * The real thing: mmdebstrap builds the base userland from the machine's Debian mirror, into a fresh cache so it
 * really builds (about a minute), as the unprivileged build account when the host is root.
 */
describe.skipIf(!builder.ok)('the base userland (real mmdebstrap build)', { timeout: 15 * 60_000 }, () => {
  it('holds a shell and the tools agents use, node and npm, and the agent user with bash and a home', async () => {
    const progress: BuildProgress[] = [];
    const base = await images.ensureBase({ onProgress: (event) => progress.push(event) });
    const tree = base.tree;
    for (const tool of [
      'bash',
      'git',
      'python3',
      'rg',
      'jq',
      'curl',
      'make',
      'patch',
      'tar',
      'xz',
      'unzip',
      'zip',
      'file',
      'less',
      'ps',
      'gawk',
      'node',
      'npm',
      'npx',
    ])
      expect(await exists(path.join(tree, 'usr/bin', tool)), tool).toBe(true);
    expect(await exists(path.join(tree, 'usr/lib/python3.11/venv'))).toBe(true);
    const passwd = readFileSync(path.join(tree, 'etc/passwd'), 'utf8');
    expect(passwd).toContain('agent:x:1000:1000:agent:/home/agent:/bin/bash');
    const home = await fs.stat(path.join(tree, 'home/agent'));
    expect([home.uid, home.isDirectory()]).toEqual([IS_ROOT ? 1000 : home.uid, true]);
    expect(base.manifest).toMatchObject({ kind: 'userland', suite: 'bookworm', node: process.version });
    expect(base.manifest.sizeBytes).toBeGreaterThan(100e6);
    expect(progress.at(-1)?.phase).toBe('done');
  });

  it("ran the packages' scripts and the hooks as an unprivileged host uid: the build account when the host is root", async () => {
    const base = await images.ensureBase();
    // A customize hook copied the build's /proc/self/uid_map: the chroot's root was this host uid, the first of
    // the subordinate ids of whoever ran mmdebstrap (never 0: that would be host root).
    const hostUid = base.manifest.rootMappedTo;
    expect(hostUid).toBeGreaterThan(0);
    if (!IS_ROOT) return;
    const entry = await runCommand('getent', ['passwd', BUILD_ACCOUNT_NAME], {
      env: { PATH: '/usr/bin:/bin' },
    });
    const [, , uid, gid, , , shell] = entry.stdout.trim().split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(shell).toBe('/usr/sbin/nologin');
    for (const file of ['/etc/subuid', '/etc/subgid'])
      expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${BUILD_ACCOUNT_NAME}:${hostUid}:65536$`, 'm'));
    // What the account cannot read is named (the node and npm the hooks copy in are checked that way).
    const closed = path.join(path.dirname(cacheDir), 'closed');
    await fs.mkdir(closed, { mode: 0o700 });
    await fs.writeFile(path.join(closed, 'node'), '');
    expect(await findUnreadableBy({ uid: Number(uid), gid: Number(gid) }, [closed])).toBe(closed);
  });

  it("keeps the host's files out: no hostname, empty resolv.conf, a localhost-only hosts file, no setuid bit", async () => {
    const { tree } = await images.ensureBase();
    expect(await exists(path.join(tree, 'etc/hostname'))).toBe(false);
    expect(await exists(path.join(tree, '.nanoclaw-build-uid-map'))).toBe(false);
    expect(readFileSync(path.join(tree, 'etc/resolv.conf'), 'utf8')).toBe('');
    expect(readFileSync(path.join(tree, 'etc/hosts'), 'utf8')).toBe(
      '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n',
    );
    expect(readFileSync(path.join(tree, 'etc/apt/sources.list'), 'utf8')).toMatch(/^deb \S+ bookworm main\n/);
    const setuid: string[] = [];
    for (const entry of await fs.readdir(tree, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      if (((await fs.lstat(file)).mode & 0o6000) !== 0) setuid.push(file);
    }
    expect(setuid).toEqual([]);
    expect(await exists(path.join(tree, 'usr/share/man/man1'))).toBe(false);
  });

  it('is found in the cache the second time, and status reports it', async () => {
    const first = await images.ensureBase();
    const again = await createSandboxImages({ cacheDir }).ensureBase();
    expect(again.dir).toBe(first.dir);
    const status = await images.status();
    expect(status.base.built?.dir).toBe(first.dir);
    expect(status.cached.map((image) => image.dir)).toContain(first.dir);
    expect(await fs.readdir(cacheDir)).not.toContainEqual(expect.stringMatching(/^\.staging-/));
  });
});

describe('buildUserland', () => {
  it('rebuilds what the cache holds when asked to refresh (here it stops at the missing mmdebstrap)', async () => {
    const cache = new ImageCache(await freshCacheDir());
    const recipe = userlandRecipe({ node: { path: process.execPath, version: process.version } });
    const digest = userlandDigest(recipe);
    const staging = await cache.stage(imageLockName('userland', digest));
    await fs.mkdir(path.join(staging, 'tree/usr/bin'), { recursive: true });
    await fs.writeFile(path.join(staging, 'tree/usr/bin/node'), '');
    const cached = await cache.commit(staging, {
      kind: 'userland',
      digest,
      packages: [],
      builtAt: '2026-01-01T00:00:00.000Z',
      buildMs: 1,
      sizeBytes: 1,
      files: 1,
    });
    const options = {
      cache,
      source: { mirror: 'http://mirror.test/debian', securityMirror: 'http://mirror.test/debian-security' },
      env: { PATH: '/nonexistent' },
    };
    expect(await buildUserland(recipe, options)).toEqual(cached);
    const error = await buildUserland(recipe, { ...options, refresh: true }).catch((e: unknown) => e);
    expect(isSandboxImageError(error, 'builder-missing')).toBe(true);
  });
});

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
