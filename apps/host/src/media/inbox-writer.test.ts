import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureInboxFolder, findSaved, inboxDate, readSaved, writeInboxFile } from './inbox-writer.js';

let root: string;
let group: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'inbox-writer-'));
  group = path.join(root, 'group');
  await fs.mkdir(group);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('inboxDate', () => {
  it('is the date in the host zone', () => {
    const at = Date.UTC(2026, 11, 7, 23, 30);
    expect(inboxDate(at, 'UTC')).toBe('2026-12-07');
    expect(inboxDate(at, 'Asia/Tokyo')).toBe('2026-12-08');
  });
});

describe('ensureInboxFolder', () => {
  it('creates inbox/<date> with mode 0755', async () => {
    const dir = await ensureInboxFolder(group, '2026-12-07');
    expect(dir).toBe(path.join(await fs.realpath(group), 'inbox', '2026-12-07'));
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o755);
  });

  it("creates a new group's folder, and refuses a symlinked one", async () => {
    await fs.rm(group, { recursive: true });
    await ensureInboxFolder(group, '2026-12-07');
    expect((await fs.lstat(path.join(group, 'inbox', '2026-12-07'))).isDirectory()).toBe(true);
    await fs.symlink(group, path.join(root, 'linked'));
    await expect(ensureInboxFolder(path.join(root, 'linked'), '2026-12-07')).rejects.toThrow(/symlink/);
  });

  it('refuses a symlinked inbox and writes nothing', async () => {
    const outside = path.join(root, 'outside');
    await fs.mkdir(outside);
    await fs.symlink(outside, path.join(group, 'inbox'));
    await expect(ensureInboxFolder(group, '2026-12-07')).rejects.toThrow(/symlink/);
    expect(await fs.readdir(outside)).toEqual([]);
  });

  it('refuses a symlinked date folder and a file in its place', async () => {
    await fs.mkdir(path.join(group, 'inbox'));
    await fs.symlink(root, path.join(group, 'inbox', '2026-12-07'));
    await expect(ensureInboxFolder(group, '2026-12-07')).rejects.toThrow(/symlink/);
    await fs.writeFile(path.join(group, 'inbox', '2026-12-08'), 'x');
    await expect(ensureInboxFolder(group, '2026-12-08')).rejects.toThrow(/not a directory/);
  });
});

describe('writeInboxFile', () => {
  it('writes the bytes with mode 0644 and leaves no temp file', async () => {
    const dir = await ensureInboxFolder(group, '2026-12-07');
    const file = await writeInboxFile(group, dir, '1-a.txt', Buffer.from('hello'));
    expect(await fs.readFile(file, 'utf8')).toBe('hello');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o644);
    expect(await fs.readdir(dir)).toEqual(['1-a.txt']);
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const dir = await ensureInboxFolder(group, '2026-12-07');
    const victim = path.join(root, 'victim');
    await fs.writeFile(victim, 'keep');
    await fs.symlink(victim, path.join(dir, '1-a.txt'));
    await writeInboxFile(group, dir, '1-a.txt', Buffer.from('new'));
    expect(await fs.readFile(victim, 'utf8')).toBe('keep');
    expect((await fs.lstat(path.join(dir, '1-a.txt'))).isFile()).toBe(true);
  });
});

describe.skipIf(process.getuid?.() !== 0)('as root', () => {
  it("gives new inbox entries to the group folder's owner (the sandbox user)", async () => {
    await fs.chown(group, 4321, 4321);
    const dir = await ensureInboxFolder(group, '2026-12-07');
    const file = await writeInboxFile(group, dir, '1-a.txt', Buffer.from('x'));
    for (const made of [path.join(group, 'inbox'), dir, file])
      expect(await fs.lstat(made)).toMatchObject({ uid: 4321, gid: 4321 });
  });
});

describe('findSaved', () => {
  it('finds a saved file under its name or with an added extension, never a symlink', async () => {
    const dir = await ensureInboxFolder(group, '2026-12-07');
    await fs.writeFile(path.join(dir, '1-receipt.jpg.pdf'), 'pdf');
    await fs.symlink('/etc/passwd', path.join(dir, '2-x.txt'));
    await fs.writeFile(path.join(dir, '10-a.txt'), 'other message');
    expect(await findSaved(dir, '1-receipt.jpg')).toBe(path.join(dir, '1-receipt.jpg.pdf'));
    expect(await findSaved(dir, '2-x.txt')).toBeUndefined();
    expect(await findSaved(dir, '1-a.txt')).toBeUndefined();
    await expect(readSaved(path.join(dir, '2-x.txt'))).rejects.toThrow();
  });
});
