import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from './errors.js';
import { isInside, isSafeRelativePath } from './path-utils.js';

export interface ReadGroupFileOptions {
  /** Refuse files larger than this (default 10 MiB). */
  maxBytes?: number;
}

/**
 * Reads a file an agent may have written, without following any symlink: the folder is sandbox-writable, so
 * `notes.md` could be a link to `/root/.ssh/id_ed25519` placed there by the agent. Every path segment is
 * checked with lstat, the file is opened with O_NOFOLLOW, and (on Linux) the opened descriptor's real path must
 * still be inside the group folder — so a swap between the checks and the open is caught too.
 */
export async function readGroupFile(
  groupDir: string,
  relPath: string,
  options: ReadGroupFileOptions = {},
): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  if (!isSafeRelativePath(relPath)) {
    throw new SandboxError(
      'unsafe-path',
      `"${relPath}" is not a plain relative path inside the group folder`,
    );
  }
  const root = await fs.realpath(groupDir);
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
