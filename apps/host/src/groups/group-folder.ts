import fs from 'node:fs';
import path from 'node:path';
import { groupFolderSchema } from '@nanoclaw/core';
import { type ConfigIssue, groupSettingsFile } from './container-config-file.js';
import { GroupError } from './group-error.js';

/**
 * Checks a folder name against core's `groupFolderSchema` before it is ever joined into a path. Throws a
 * `GroupError` quoting the (shortened) name.
 */
export function validateFolderName(folder: string): string {
  const parsed = groupFolderSchema.safeParse(folder);
  if (parsed.success) return parsed.data;
  throw new GroupError(
    'invalid',
    `group folder ${quote(folder)} ${parsed.error.issues[0]?.message ?? 'is invalid'}`,
  );
}

export function folderNameIssue(folder: string): string | null {
  const parsed = groupFolderSchema.safeParse(folder);
  return parsed.success ? null : `${quote(folder)} ${parsed.error.issues[0]?.message ?? 'is invalid'}`;
}

/** What is wrong with a group's directory (missing, a symlink, not a directory), or null. */
export function groupDirIssue(dir: string, folder: string): ConfigIssue | null {
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  const file = `${folder}/`;
  if (!stat) return { file, key: '', message: 'the group folder is missing' };
  if (stat.isSymbolicLink()) {
    return { file, key: '', message: 'is a symlink; group folders must be real directories' };
  }
  if (!stat.isDirectory()) return { file, key: '', message: 'exists but is not a directory' };
  return null;
}

/** Creates the group's folder (and a starter AGENTS.md) when missing; refuses a symlink or a file. */
export function ensureGroupDir(dir: string, folder: string, name: string): void {
  const issue = groupDirIssue(dir, folder);
  if (issue && issue.message !== 'the group folder is missing') {
    throw new GroupError('conflict', `groups/${folder} ${issue.message}`);
  }
  if (issue) fs.mkdirSync(dir, { recursive: true });
  const memory = path.join(dir, 'AGENTS.md');
  if (!fs.existsSync(memory)) {
    fs.writeFileSync(memory, `# ${name}\n\nNotes for this group's agent.\n`, { flag: 'wx' });
  }
}

/**
 * A cheap fingerprint of the group folder and its settings file (inode, size, mtime, link-ness), so a changed
 * file is re-read on the next access without watching the disk.
 */
export function configStamp(groupsDir: string, folder: string): string {
  const dirStat = fs.lstatSync(path.join(groupsDir, folder), { throwIfNoEntry: false });
  if (!dirStat) return 'no-dir';
  if (!dirStat.isDirectory()) return `not-dir:${dirStat.ino}`;
  const file = fs.lstatSync(path.join(groupsDir, groupSettingsFile(folder)), { throwIfNoEntry: false });
  const fileStamp = file ? `${file.ino}:${file.size}:${file.mtimeMs}:${file.isSymbolicLink()}` : 'none';
  return `${dirStat.ino}|${fileStamp}`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}
