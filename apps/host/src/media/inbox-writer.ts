import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NanoclawError } from '@nanoclaw/core';

/** The folder of a group where inbound media land, by date: `<group>/inbox/<YYYY-MM-DD>/`. */
export const INBOX_DIR = 'inbox';
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY, O_RDONLY } = constants;

/** `YYYY-MM-DD` of an instant in a time zone: the inbox's date folder for a message sent then. */
export function inboxDate(epochMs: number, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(epochMs));
}

/**
 * `<groupDir>/inbox/<date>`, created step by step: the group folder and each part must be a real directory (never a symlink, never a
 * file); otherwise this throws and writes nothing. Returns the folder's path under the group's real path.
 */
export async function ensureInboxFolder(groupDir: string, date: string): Promise<string> {
  // A new group's folder may not exist before its first sandbox starts; a symlinked one is refused.
  await ensureRealDir(path.resolve(groupDir));
  const root = await fs.realpath(groupDir);
  const owner = await groupOwner(root);
  let dir = root;
  for (const part of [INBOX_DIR, date]) {
    dir = path.join(dir, part);
    await ensureRealDir(dir, owner);
  }
  return dir;
}

/**
 * Who new inbox entries belong to: when the host runs as root, sandboxes run as another uid that owns the group
 * folder (the pool hands it over); what the host adds there is given to the same owner, so the agent can also
 * move or delete it. Otherwise the host user owns everything already (0644/0755 let any sandbox user read).
 */
async function groupOwner(groupDir: string): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const stat = await fs.lstat(groupDir);
  return { uid: stat.uid, gid: stat.gid };
}

async function ensureRealDir(dir: string, owner?: { uid: number; gid: number }): Promise<void> {
  const stat = await fs.lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!stat) {
    await fs.mkdir(dir, { mode: DIR_MODE }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await fs.chmod(dir, DIR_MODE);
    if (owner) await fs.lchown(dir, owner.uid, owner.gid);
    return ensureRealDir(dir);
  }
  if (stat.isSymbolicLink() || !stat.isDirectory())
    throw new NanoclawError(
      'media-unsafe-path',
      `${dir} is ${stat.isSymbolicLink() ? 'a symlink' : 'not a directory'}; refusing to write media there`,
    );
}

/**
 * A file saved earlier under `base` in `dir` (a retried turn): `base` itself or `base.<ext>` (the extension added
 * when the bytes were another type than the name said). Only a regular file counts; a symlink is never reused.
 */
export async function findSaved(dir: string, base: string): Promise<string | undefined> {
  const entries = await fs.readdir(dir);
  for (const entry of entries.sort()) {
    const rest = entry.slice(base.length);
    if (!entry.startsWith(base) || !(rest === '' || /^\.[a-z0-9]+$/i.test(rest))) continue;
    const stat = await fs.lstat(path.join(dir, entry));
    if (stat.isFile()) return path.join(dir, entry);
  }
  return undefined;
}

/** Reads a saved file without following a symlink. */
export async function readSaved(file: string): Promise<Buffer> {
  const handle = await fs.open(file, O_RDONLY | O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `bytes` as `dir/name` (mode 0644): to a fresh temp file (`O_CREAT|O_EXCL|O_NOFOLLOW`) in the same folder,
 * then renamed into place. Refuses (and removes the file) when the result's real path is outside `groupDir`.
 */
export async function writeInboxFile(
  groupDir: string,
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<string> {
  const temp = path.join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  const target = path.join(dir, name);
  const handle = await fs.open(temp, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, FILE_MODE);
  try {
    await handle.writeFile(bytes);
    await handle.chmod(FILE_MODE);
    const owner = await groupOwner(groupDir);
    if (owner) await handle.chown(owner.uid, owner.gid);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await fs.rename(temp, target);
  const real = await fs.realpath(target);
  const root = await fs.realpath(groupDir);
  if (!isInside(root, real)) {
    await fs.rm(target, { force: true });
    throw new NanoclawError('media-unsafe-path', `${name} would land outside the group folder; refused`);
  }
  return real;
}

/** True when `child` is `parent` or below it (both real, absolute paths). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
