import fs from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, type Logger } from '@nanoclaw/core';
import { INBOX_DIR } from './inbox-writer.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const DATE_FOLDER = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface PruneResult {
  /** Files (and symlinks) removed. */
  files: number;
  /** Date folders removed (they were empty after). */
  folders: number;
}

/**
 * Removes inbound media older than `retentionDays`: in each group folder under `groupsDir`, only the
 * `inbox/<YYYY-MM-DD>/` folders whose date is older, only regular files and symlinks directly inside them (a
 * symlink itself, never its target; nothing is followed), then the folder if it is empty. Nothing outside
 * `inbox/` is touched. Per-group problems are logged, never thrown.
 */
export async function pruneInboxes(
  options: { groupsDir: string; retentionDays: number; logger: Logger },
  now = Date.now(),
): Promise<PruneResult> {
  const total: PruneResult = { files: 0, folders: 0 };
  const cutoff = now - options.retentionDays * DAY_MS;
  for (const group of await realDirs(options.groupsDir)) {
    const inbox = path.join(options.groupsDir, group, INBOX_DIR);
    try {
      if (!(await isRealDir(inbox))) continue;
      for (const date of await realDirs(inbox)) {
        const day = folderDate(date);
        // The whole day must be older than the cutoff.
        if (day === undefined || day + DAY_MS > cutoff) continue;
        const pruned = await pruneDateFolder(path.join(inbox, date));
        total.files += pruned.files;
        total.folders += pruned.folders;
      }
    } catch (error) {
      options.logger.warn({ group, err: errorMessage(error) }, 'old inbound media could not be pruned');
    }
  }
  if (total.files > 0 || total.folders > 0) options.logger.info({ ...total }, 'pruned old inbound media');
  return total;
}

async function pruneDateFolder(dir: string): Promise<PruneResult> {
  let files = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    // Dirent types come from lstat: a symlink is a symlink, whatever it points at.
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    await fs.unlink(path.join(dir, entry.name));
    files += 1;
  }
  const left = await fs.readdir(dir);
  if (left.length > 0) return { files, folders: 0 };
  await fs.rmdir(dir);
  return { files, folders: 1 };
}

/** Names of the real directories (not symlinks) in `dir`; none when it cannot be read. */
async function realDirs(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

async function isRealDir(dir: string): Promise<boolean> {
  const stat = await fs.lstat(dir).catch(() => undefined);
  return stat?.isDirectory() === true;
}

/** The UTC midnight of a `YYYY-MM-DD` folder name, or undefined for any other name. */
function folderDate(name: string): number | undefined {
  const match = DATE_FOLDER.exec(name);
  if (!match) return undefined;
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(time) ? undefined : time;
}

/**
 * Prunes at once and then 24 h after each pass. The timer does not keep the process alive; the returned function
 * stops it and resolves once a pass still running has ended. A failed pass is logged.
 */
export function schedulePruning(
  options: { groupsDir: string; retentionDays: number; logger: Logger },
  everyMs = DAY_MS,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  // The next pass is timed from the end of the last one, so two passes never work on one folder at once.
  const pass = () => {
    running = pruneInboxes(options)
      .then(
        () => undefined,
        (error: unknown) =>
          options.logger.error(
            { err: errorMessage(error) },
            'pruning inbound media failed; it is tried again later',
          ),
      )
      .then(() => {
        if (stopped) return;
        timer = setTimeout(pass, everyMs);
        timer.unref();
      });
  };
  pass();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
