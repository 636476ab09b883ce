import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canChownTree, chownTree, findUntraversable } from './ownership.js';

const IS_ROOT = process.getuid?.() === 0;
const SANDBOX = { uid: 1000, gid: 1000 };

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-ownership-'));
  await fs.chmod(root, 0o755);
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

describe('chownTree', () => {
  // Handing files to another uid needs root (the host's situation when it runs as root).
  it.runIf(IS_ROOT && canChownTree())(
    'hands the folder to the sandbox user without following symlinks or hard links',
    async () => {
      const group = path.join(root, 'group');
      await fs.mkdir(path.join(group, 'sub/deeper'), { recursive: true });
      await fs.writeFile(path.join(group, 'a.txt'), 'a');
      await fs.writeFile(path.join(group, 'sub/deeper/b.txt'), 'b');
      const outside = path.join(root, 'outside');
      await fs.mkdir(outside);
      await fs.writeFile(path.join(outside, 'secret.txt'), 's');
      await fs.symlink(outside, path.join(group, 'dir-link'));
      await fs.symlink(path.join(outside, 'secret.txt'), path.join(group, 'file-link'));
      await fs.link(path.join(outside, 'secret.txt'), path.join(group, 'hard-link'));

      const result = await chownTree(group, SANDBOX);

      for (const rel of ['', 'a.txt', 'sub', 'sub/deeper', 'sub/deeper/b.txt']) {
        expect((await fs.lstat(path.join(group, rel))).uid, rel).toBe(1000);
      }
      expect((await fs.lstat(path.join(group, 'dir-link'))).uid).toBe(1000);
      expect((await fs.lstat(path.join(group, 'file-link'))).uid).toBe(1000);
      // Nothing outside the folder changed hands, not even through the hard link.
      expect((await fs.stat(outside)).uid).toBe(0);
      expect((await fs.stat(path.join(outside, 'secret.txt'))).uid).toBe(0);
      expect(result.skipped).toEqual([path.join(group, 'hard-link')]);
      expect(result.changed).toBe(7);
      expect((await chownTree(group, SANDBOX)).changed).toBe(0);
    },
  );

  it.runIf(IS_ROOT && canChownTree())(
    'takes a tree back from the sandbox user read-only, hard links included, symlink targets untouched',
    async () => {
      const layer = path.join(root, 'layer');
      await fs.mkdir(path.join(layer, 'lib/pkg'), { recursive: true });
      await fs.writeFile(path.join(layer, 'lib/pkg/index.js'), 'x', { mode: 0o664 });
      await fs.link(path.join(layer, 'lib/pkg/index.js'), path.join(layer, 'lib/pkg/copy.js'));
      const outside = path.join(root, 'outside.txt');
      await fs.writeFile(outside, 's');
      await fs.chmod(outside, 0o666);
      await fs.symlink(outside, path.join(layer, 'lib/link'));
      await chownTree(layer, SANDBOX);
      await fs.chown(path.join(layer, 'lib/pkg/index.js'), 1000, 1000);

      const host = { uid: 0, gid: 0 };
      const result = await chownTree(layer, host, { hardLinks: 'change', readOnly: true });

      expect(result.skipped).toEqual([]);
      for (const rel of ['', 'lib', 'lib/pkg', 'lib/pkg/index.js', 'lib/pkg/copy.js', 'lib/link']) {
        const stat = await fs.lstat(path.join(layer, rel));
        expect([stat.uid, stat.gid], rel).toEqual([0, 0]);
        if (!stat.isSymbolicLink()) expect(stat.mode & 0o222, rel).toBe(0);
      }
      expect((await fs.stat(path.join(layer, 'lib/pkg'))).mode & 0o777).toBe(0o555);
      expect((await fs.stat(path.join(layer, 'lib/pkg/index.js'))).mode & 0o777).toBe(0o444);
      // The symlink's target outside the tree keeps its owner and mode.
      expect((await fs.stat(outside)).mode & 0o777).toBe(0o666);
    },
  );

  it.runIf(canChownTree())('refuses a folder that is itself a symlink', async () => {
    const real = path.join(root, 'real');
    await fs.mkdir(real);
    await fs.symlink(real, path.join(root, 'link'));
    await expect(chownTree(path.join(root, 'link'), SANDBOX)).rejects.toThrow(/ENOTDIR|ELOOP/);
  });

  it.runIf(canChownTree())('stops at maxDepth and reports what it left', async () => {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    await fs.mkdir(path.join(root, 'g/one/two'), { recursive: true });
    const result = await chownTree(path.join(root, 'g'), { uid, gid }, { maxDepth: 0 });
    expect(result).toEqual({ changed: 0, skipped: [path.join(root, 'g/one')] });
  });
});

describe('findUntraversable', () => {
  it('names the first directory the sandbox user cannot search', async () => {
    const stranger = { uid: 54_321, gid: 54_321 };
    const locked = path.join(root, 'locked');
    const target = path.join(locked, 'inner/group');
    await fs.mkdir(target, { recursive: true });
    await fs.chmod(locked, 0o700);
    expect(await findUntraversable(target, stranger)).toBe(locked);
    await fs.chmod(locked, 0o711);
    expect(await findUntraversable(target, stranger)).toBeUndefined();
    await fs.chmod(target, 0o700);
    expect(await findUntraversable(target, stranger)).toBe(target);
    // The owner's own bits count for the owner, whatever "others" may do.
    const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    expect(await findUntraversable(target, self)).toBeUndefined();
    await fs.chmod(target, 0o077);
    expect(await findUntraversable(target, self)).toBe(target);
    await fs.chmod(target, 0o755);
  });

  it('leaves a missing path to verifyMounts', async () => {
    expect(await findUntraversable(path.join(root, 'missing'), SANDBOX)).toBeUndefined();
  });
});
