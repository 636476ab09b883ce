import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from './errors.js';
import { isInside, isSafeRelativePath } from './path-utils.js';

export interface ReadGroupFileOptions {
  /** Refuse files larger than this (default 10 MiB). */
  maxBytes?: number;
}

/** A regular file inside a group folder, opened without following symlinks; the caller closes `handle`. */
export interface OpenedGroupFile {
  handle: fs.FileHandle;
  /** The opened file's stat (a regular file). */
  stat: Stats;
}

/**
 * Opens a file an agent may have written, without following any symlink: the folder is sandbox-writable, so
 * `notes.md` could be a link to `/root/.ssh/id_ed25519` placed there by the agent. Every path segment is
 * checked with lstat, the file is opened with O_NOFOLLOW (and O_NONBLOCK, so a FIFO cannot block), it must be a
 * regular file, and (on Linux) the opened descriptor's real path must still be inside the group folder — so a
 * swap between the checks and the open is caught too. Refusals are `SandboxError('unsafe-path')` naming the path.
 */
export async function openGroupFile(groupDir: string, relPath: string): Promise<OpenedGroupFile> {
  if (!isSafeRelativePath(relPath)) {
    throw new SandboxError(
      'unsafe-path',
      `"${relPath}" is not a plain relative path inside the group folder`,
    );
  }
  const root = await fs.realpath(groupDir);
  const current = await checkSegments(root, relPath);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(current, constants.O_RDONLY | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SandboxError(
      'unsafe-path',
      `${relPath}: ${code === 'ELOOP' ? 'is a symlink' : (code ?? 'cannot open')}`,
      { cause: error },
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SandboxError('unsafe-path', `${relPath} is not a regular file`);
    if (process.platform === 'linux') {
      const opened = await fs.readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
      if (opened !== null && !isInside(root, opened)) {
        throw new SandboxError('unsafe-path', `${relPath} resolved outside the group folder (${opened})`);
      }
    }
    return { handle, stat };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** lstat of every segment from the (real) root: none may be a symlink, all but the last must be directories. */
async function checkSegments(root: string, relPath: string): Promise<string> {
  const segments = relPath.split('/');
  let current = root;
  for (const [index, segment] of segments.entries()) {
    current = path.join(current, segment);
    const stat = await fs.lstat(current).catch((error: NodeJS.ErrnoException) => {
      throw new SandboxError('unsafe-path', `${relPath}: ${error.code ?? 'cannot stat'}`, { cause: error });
    });
    if (stat.isSymbolicLink())
      throw new SandboxError(
        'unsafe-path',
        `${relPath}: "${segments.slice(0, index + 1).join('/')}" is a symlink`,
      );
    const last = index === segments.length - 1;
    if (!last && !stat.isDirectory())
      throw new SandboxError('unsafe-path', `${relPath}: "${segment}" is not a directory`);
  }
  return current;
}

/** Reads a file an agent may have written, as `openGroupFile` opens it (no symlinks, regular files only). */
export async function readGroupFile(
  groupDir: string,
  relPath: string,
  options: ReadGroupFileOptions = {},
): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const { handle, stat } = await openGroupFile(groupDir, relPath);
  try {
    if (stat.size > maxBytes)
      throw new SandboxError('unsafe-path', `${relPath} is larger than ${maxBytes} bytes`);
    const buffer = await handle.readFile();
    if (buffer.length > maxBytes)
      throw new SandboxError('unsafe-path', `${relPath} is larger than ${maxBytes} bytes`);
    return buffer;
  } finally {
    await handle.close();
  }
}
