import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Finds an executable on the host PATH (absolute path), or null. Spawns then never depend on the child's env. */
export async function findHostBinary(name: string, hostPath: string | undefined): Promise<string | null> {
  if (name.includes('/')) return (await isExecutable(name)) ? name : null;
  const dirs = (hostPath ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
