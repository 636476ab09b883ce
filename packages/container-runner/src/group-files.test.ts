import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '@nanoclaw/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSandboxError } from './errors.js';
import { openGroupFile, readGroupFile } from './group-files.js';
import { makeScratchDir } from './test-utils/sandbox-test-env.js';

describe('readGroupFile', () => {
  let root: string;
  let group: string;
  beforeAll(async () => {
    root = await makeScratchDir('group-files');
    group = path.join(root, 'group');
    await fs.mkdir(path.join(group, 'notes'), { recursive: true });
    await fs.writeFile(path.join(group, 'notes/today.md'), 'hello');
    await fs.writeFile(path.join(root, 'secret.txt'), 'host secret');
    await fs.symlink(path.join(root, 'secret.txt'), path.join(group, 'evil.md'));
    await fs.symlink(root, path.join(group, 'up'));
    await fs.symlink('notes/today.md', path.join(group, 'relative.md'));
    await fs.writeFile(path.join(group, 'big.bin'), Buffer.alloc(2048));
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  const refused = async (rel: string, pattern: RegExp) => {
    const error = await readGroupFile(group, rel, { maxBytes: 1024 }).catch((e: unknown) => e);
    expect(isSandboxError(error, 'unsafe-path'), `${rel}: ${String(error)}`).toBe(true);
    expect(errorMessage(error)).toMatch(pattern);
  };

  it('reads a plain file', async () => {
    expect((await readGroupFile(group, 'notes/today.md')).toString()).toBe('hello');
  });
  it('never follows a symlink, in the file or any folder on the way', async () => {
    await refused('evil.md', /symlink/);
    await refused('relative.md', /symlink/);
    await refused('up/secret.txt', /symlink/);
  });
  it('refuses paths that leave the folder, folders and oversized files', async () => {
    await refused('../secret.txt', /plain relative path/);
    await refused('/etc/passwd', /plain relative path/);
    await refused('notes', /regular file/);
    await refused('missing.md', /ENOENT/);
    await refused('big.bin', /larger than/);
  });
  it('refuses a FIFO without blocking on it', async () => {
    execFileSync('mkfifo', [path.join(group, 'pipe')]);
    await refused('pipe', /regular file/);
  });
});

describe('openGroupFile', () => {
  it('opens a regular file and reports its size; the caller reads and closes it', async () => {
    const root = await makeScratchDir('group-files-open');
    await fs.writeFile(path.join(root, 'a.txt'), 'abc');
    const { handle, stat } = await openGroupFile(root, 'a.txt');
    try {
      expect(stat.size).toBe(3);
      expect((await handle.readFile()).toString()).toBe('abc');
    } finally {
      await handle.close();
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
