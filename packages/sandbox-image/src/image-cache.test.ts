import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSandboxImageError } from './errors.js';
import { ImageCache, type ImageManifest, treeSize } from './image-cache.js';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-image-cache-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const manifest = (digest: string, builtAt = '2026-12-07T00:00:00.000Z'): ImageManifest => ({
  kind: 'userland',
  digest,
  packages: ['bash'],
  builtAt,
  buildMs: 1,
  sizeBytes: 2,
  files: 1,
});

describe('ImageCache', () => {
  it('finds an image only once it is committed, and lists what it holds, newest first', async () => {
    const cache = new ImageCache(path.join(root, 'cache'));
    const digest = 'a'.repeat(64);
    const staging = await cache.stage();
    await fs.writeFile(path.join(staging, 'tree', 'file'), 'x');
    expect(await cache.find('userland', digest)).toBeUndefined();
    const committed = await cache.commit(staging, manifest(digest));
    expect(committed.tree).toBe(path.join(root, 'cache', 'userland-aaaaaaaaaaaaaaaa', 'tree'));
    expect(await fs.readFile(path.join(committed.tree, 'file'), 'utf8')).toBe('x');
    expect((await cache.find('userland', digest))?.manifest.digest).toBe(digest);
    expect(await cache.find('npm-layer', digest)).toBeUndefined();
    await cache.commit(await cache.stage(), manifest('b'.repeat(64), '2026-12-08T00:00:00.000Z'));
    expect((await cache.list()).map((image) => image.manifest.digest[0])).toEqual(['b', 'a']);
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

    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid ?? 0)));
    await fs.writeFile(path.join(cache.dir, '.lock-y'), `${deadPid}\n`);
    expect(await cache.withLock('y', async () => 'taken over')).toBe('taken over');
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
