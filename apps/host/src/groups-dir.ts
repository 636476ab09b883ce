import fs from 'node:fs';
import path from 'node:path';

const GLOBAL_MEMORY = `# Shared memory

Everything here is visible, read-only, to every group's agent. Put facts all agents should know.
`;

const MAIN_MEMORY = `# Main group

This is the main group: its agent may see all groups and tasks, register new groups and schedule work for
any group. Keep notes about the user here.
`;

/**
 * Makes sure the groups folder has `global/` and `main/`, creating what is missing (never overwriting).
 * Refuses a groups folder, `global` or `main` that is a symlink: the host never follows a link out.
 */
export function ensureGroupsDir(groupsDir: string): { folder: string; path: string } {
  fs.mkdirSync(groupsDir, { recursive: true });
  for (const [folder, memory] of [
    ['global', GLOBAL_MEMORY],
    ['main', MAIN_MEMORY],
  ] as const) {
    const dir = path.join(groupsDir, folder);
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink())
      throw new Error(`${dir} is a symlink; group folders must be real directories`);
    if (stat && !stat.isDirectory()) throw new Error(`${dir} exists but is not a directory`);
    if (!stat) fs.mkdirSync(dir);
    const memoryFile = path.join(dir, 'AGENTS.md');
    if (!fs.existsSync(memoryFile)) fs.writeFileSync(memoryFile, memory, { flag: 'wx' });
  }
  return { folder: 'main', path: path.join(groupsDir, 'main') };
}
