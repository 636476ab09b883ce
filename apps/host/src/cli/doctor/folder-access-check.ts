import fs from 'node:fs';
import path from 'node:path';
import { findUntraversable, type SandboxOwner } from '@nanoclaw/container-runner';
import { type DoctorCheck, fail, ok } from './doctor-check.js';
import type { RuntimeProbe } from './system-checks.js';

export interface FolderAccessOptions {
  runtime: RuntimeProbe;
  groupsDir: string;
  dataDir: string;
  /** The served groups' folders. */
  folders: readonly string[];
  /** The uid:gid sandboxes run as. */
  user: SandboxOwner;
}

const NAME = 'sandbox access';

/**
 * bubblewrap binds each mount source as the sandbox user, so every directory on the way to a group's folder and
 * to the data dir (the sessions' homes) must be searchable for it; otherwise the group's first message fails
 * at the spawn. The same check the agent pool makes then (`findUntraversable`), made now. Only bwrap binds
 * as that user (docker's daemon binds as root; the process runtime is the host user): no line for the others.
 */
export async function checkFolderAccess(options: FolderAccessOptions): Promise<DoctorCheck | undefined> {
  if (!options.runtime.ok || options.runtime.name !== 'bwrap') return undefined;
  const { user } = options;
  const targets = [
    ...options.folders.map((folder) => ({
      label: `groups/${folder}`,
      dir: path.join(options.groupsDir, folder),
    })),
    { label: 'the data dir', dir: options.dataDir },
  ];
  const blocked: Array<{ label: string; dir: string }> = [];
  for (const target of targets) {
    const dir = await findUntraversable(existingAncestor(target.dir), user);
    if (dir) blocked.push({ label: target.label, dir });
  }
  const who = `the sandbox user ${user.uid}:${user.gid}`;
  if (blocked.length === 0) {
    const folders =
      options.folders.length > 0 ? `every group folder (${options.folders.join(', ')})` : 'the groups dir';
    return ok(NAME, `${who} can reach ${folders} and the data dir`);
  }
  const lines = blocked.map(
    (entry) => `${who} cannot reach ${entry.label}: ${entry.dir} is not searchable for it`,
  );
  const dirs = [...new Set(blocked.map((entry) => entry.dir))];
  return fail(
    NAME,
    [...lines, 'a message there fails when its sandbox starts'].join('\n'),
    `chmod o+x ${dirs.join(' ')} (or move the project to a folder others may pass through)`,
    false,
  );
}

/** `dir`, or its nearest existing ancestor when the host has not created it yet. */
function existingAncestor(dir: string): string {
  let current = path.resolve(dir);
  while (!fs.existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}
