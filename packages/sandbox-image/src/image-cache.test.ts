import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSandboxImageError } from './errors.js';
import { ImageCache, type ImageManifest, imageLockName, treeSize } from './image-cache.js';

/** Reads of lock files can be made to return late (what they read stays as it was): a waiter that is slow. */
const slowLockReads = vi.hoisted(() => ({ delays: [] as number[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (async (...args: Parameters<typeof real.readFile>) => {
    const content = await real.readFile(...args);
    const delay = /\.lock-[a-z]$/.test(String(args[0])) ? slowLockReads.delays.shift() : undefined;
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    return content;
  }) as typeof real.readFile;
  return { ...real, readFile, default: { ...real, readFile } };
});

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-image-cache-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const manifest = (
  digest: string,
  builtAt = '2026-12-07T00:00:00.000Z',
  kind: ImageManifest['kind'] = 'userland',
): ImageManifest => ({
  kind,
  digest,
  packages: ['bash'],
  builtAt,
  buildMs: 1,
  sizeBytes: 2,
  files: 1,
});

/** A staging folder holding what a finished build of `kind` leaves: a userland with node, a read-only layer. */
async function staged(cache: ImageCache, kind: ImageManifest['kind'], digest: string): Promise<string> {
  const staging = await cache.stage(imageLockName(kind, digest));
  const tree = path.join(staging, 'tree');
  if (kind === 'userland') {
    await fs.mkdir(path.join(tree, 'usr/bin'), { recursive: true });
    await fs.writeFile(path.join(tree, 'usr/bin/node'), '#!');
  } else {
    await fs.writeFile(path.join(tree, 'file'), 'x');
    await fs.chmod(tree, 0o555);
  }
  return staging;
}

async function deadPid(): Promise<number> {
  const dead = spawn(process.execPath, ['-e', '0']);
  return new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid ?? 0)));
}

describe('ImageCache', () => {
  it('finds an image only once it is committed, and lists what it holds, newest first', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    const digest = 'a'.repeat(64);
    const staging = await staged(cache, 'userland', digest);
    expect(await cache.find('userland', digest)).toBeUndefined();
    const committed = await cache.commit(staging, manifest(digest));
    expect(committed.tree).toBe(path.join(root, 'cache', 'userland-aaaaaaaaaaaaaaaa', 'tree'));
    expect(await fs.readFile(path.join(committed.tree, 'usr/bin/node'), 'utf8')).toBe('#!');
    expect((await cache.find('userland', digest))?.manifest.digest).toBe(digest);
    expect(await cache.find('npm-layer', digest)).toBeUndefined();
    await cache.commit(
      await staged(cache, 'userland', 'b'.repeat(64)),
      manifest('b'.repeat(64), '2026-12-08T00:00:00.000Z'),
    );
    expect((await cache.list()).map((image) => image.manifest.digest[0])).toEqual(['b', 'a']);
  });

  it('does not report a damaged tree as built: a userland without node, a layer others can write to', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    const userland = await cache.commit(
      await staged(cache, 'userland', 'c'.repeat(64)),
      manifest('c'.repeat(64)),
    );
    await fs.rm(path.join(userland.tree, 'usr/bin/node'));
    expect(await cache.find('userland', 'c'.repeat(64))).toBeUndefined();

    const layer = await cache.commit(
      await staged(cache, 'npm-layer', 'd'.repeat(64)),
      manifest('d'.repeat(64), undefined, 'npm-layer'),
    );
    expect((await cache.find('npm-layer', 'd'.repeat(64)))?.tree).toBe(layer.tree);
    await fs.chmod(layer.tree, 0o755);
    expect(await cache.find('npm-layer', 'd'.repeat(64))).toBeUndefined();
  });

  it('moves a replaced image aside instead of deleting it under a running sandbox; prune removes it', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    const digest = 'e'.repeat(64);
    const first = await cache.commit(await staged(cache, 'userland', digest), manifest(digest));
    const inUse = path.join(first.tree, 'usr/bin/node');
    const second = await cache.commit(
      await staged(cache, 'userland', digest),
      manifest(digest, '2026-12-09T00:00:00.000Z'),
    );
    expect(second.dir).toBe(first.dir);
    expect((await cache.find('userland', digest))?.manifest.builtAt).toBe('2026-12-09T00:00:00.000Z');
    const retired = (await fs.readdir(cache.dir)).filter((name) => name.startsWith('.retired-'));
    expect(retired).toHaveLength(1);
    expect(await fs.readFile(path.join(cache.dir, retired[0] ?? '', 'tree/usr/bin/node'), 'utf8')).toBe('#!');
    expect(inUse).toContain(first.dir);

    const pruned = await cache.prune(new Set([digest]));
    expect(pruned.map((entry) => path.basename(entry.path))).toEqual(retired);
    expect((await fs.readdir(cache.dir)).filter((name) => !name.startsWith('.lock-'))).toEqual([
      'userland-eeeeeeeeeeeeeeee',
    ]);
  });

  it('prunes the images nothing current uses, dead staging folders and dead locks, and keeps a live build', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    const keep = 'f'.repeat(64);
    const old = '1'.repeat(64);
    await cache.commit(await staged(cache, 'userland', keep), manifest(keep));
    await cache.commit(await staged(cache, 'userland', old), { ...manifest(old), sizeBytes: 5_000 });
    const dead = await deadPid();
    let live: string | undefined;
    let release: () => void = () => {};
    const building = cache.withLock('userland-3333333333333333', async () => {
      live = await cache.stage('userland-3333333333333333');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    while (!live) await new Promise((resolve) => setTimeout(resolve, 10));
    await fs.writeFile(path.join(cache.dir, '.lock-userland-2222222222222222'), `${dead} abc\n`);
    await fs.mkdir(path.join(cache.dir, '.staging-userland-2222222222222222.0123456789ab/tree'), {
      recursive: true,
    });
    await fs.writeFile(
      path.join(cache.dir, '.staging-userland-2222222222222222.0123456789ab/tree/big'),
      'x'.repeat(300),
    );

    const removed = await cache.prune(new Set([keep]));

    expect(removed.map((entry) => path.basename(entry.path)).sort()).toEqual([
      '.lock-userland-2222222222222222',
      '.staging-userland-2222222222222222.0123456789ab',
      'userland-1111111111111111',
    ]);
    expect(removed.find((entry) => entry.path.endsWith('userland-1111111111111111'))?.bytes).toBe(5_000);
    expect(removed.find((entry) => entry.path.includes('.staging-'))?.bytes).toBe(300);
    expect(await fs.readdir(live)).toEqual(['tree']);
    expect((await cache.find('userland', keep))?.manifest.digest).toBe(keep);
    release();
    await building;
  });

  it('removes the staging folder a killed build left, at the next build', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    const left = await cache.stage('userland-4444444444444444');
    await fs.writeFile(path.join(left, 'tree', 'half'), 'x');
    // The build was killed: its lock is gone (or held by a dead pid), its staging folder stayed.
    const next = await cache.withLock('userland-5555555555555555', () =>
      cache.stage('userland-5555555555555555'),
    );
    expect(await fs.readdir(cache.dir)).not.toContain(path.basename(left));
    expect(await fs.readdir(cache.dir)).toContain(path.basename(next));
  });

  it('refuses a cache folder others can write to', async () => {
    const dir = path.join(root, 'open');
    await fs.mkdir(dir, { mode: 0o777 });
    await fs.chmod(dir, 0o777);
    const error = await new ImageCache(dir).prepare().catch((e: unknown) => e);
    expect(isSandboxImageError(error, 'unsafe-cache')).toBe(true);
  });

  it('runs one build at a time per name, and takes over the lock of a builder that died', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    const order: string[] = [];
    const slow = cache.withLock('x', async () => {
      order.push('first:start');
      await new Promise((resolve) => setTimeout(resolve, 700));
      order.push('first:end');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await cache.withLock('x', async () => {
      order.push('second');
    });
    await slow;
    expect(order).toEqual(['first:start', 'first:end', 'second']);

    await fs.writeFile(path.join(cache.dir, '.lock-y'), `${await deadPid()}\n`);
    expect(await cache.withLock('y', async () => 'taken over')).toBe('taken over');
  });

  it('lets exactly one of the waiters that saw a dead lock take it over, even one that saw it late', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    await cache.prepare();
    await fs.writeFile(path.join(cache.dir, '.lock-z'), `${await deadPid()}\n`);
    // The second waiter's read of the dead lock returns after the first waiter took the lock over.
    slowLockReads.delays = [0, 60];
    let inside = 0;
    let most = 0;
    const waiter = () =>
      cache.withLock('z', async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 150));
        inside--;
      });
    await Promise.all(Array.from({ length: 3 }, waiter));
    expect(most).toBe(1);
  });
});

describe('treeSize', () => {
  it('adds up files and symlinks without following links', async () => {
    await fs.writeFile(path.join(root, 'a'), '12345');
    await fs.mkdir(path.join(root, 'd'));
    await fs.writeFile(path.join(root, 'd', 'b'), '123');
    await fs.symlink('/etc/passwd', path.join(root, 'link'));
    const size = await treeSize(root);
    expect(size.files).toBe(3);
    expect(size.bytes).toBe(5 + 3 + '/etc/passwd'.length);
  });
});
