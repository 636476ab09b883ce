import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Copies the runner bundle to `<dataDir>/sandbox/runner`, readable by any sandbox user (dirs 0755, files 0644),
 * when its content changed. The checkout may sit in a folder the sandbox user cannot traverse (a private home,
 * a 0700 temp dir); the data dir is made traversable for sandboxes, so the copy is always reachable.
 */
export async function stageRunnerBundle(runnerDist: string, dataDir: string): Promise<string> {
  const sandboxDir = path.join(dataDir, 'sandbox');
  const target = path.join(sandboxDir, 'runner');
  const digest = await digestRunnerBundle(runnerDist);
  const stamp = path.join(target, '.bundle-digest');
  if ((await fs.readFile(stamp, 'utf8').catch(() => '')) === digest) return target;
  await fs.mkdir(sandboxDir, { recursive: true });
  await fs.chmod(sandboxDir, 0o711);
  const staging = `${target}.tmp-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.cp(runnerDist, staging, { recursive: true, dereference: false, verbatimSymlinks: true });
  await openUp(staging);
  await fs.writeFile(path.join(staging, '.bundle-digest'), digest, { mode: 0o644 });
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(staging, target);
  return target;
}

/** sha256 over the bundle's file names and contents: what identifies one runner build. */
export async function digestRunnerBundle(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of (await fs.readdir(dir, { withFileTypes: true, recursive: true })).sort((a, b) =>
    path.join(a.parentPath, a.name).localeCompare(path.join(b.parentPath, b.name)),
  )) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    hash
      .update(path.relative(dir, file))
      .update('\0')
      .update(await fs.readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

async function openUp(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await openUp(full);
    else if (entry.isFile()) await fs.chmod(full, 0o644);
  }
}
