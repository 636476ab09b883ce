import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Makes a provider's native program reachable for a sandbox user: its folder is linked (hard links, or copies
 * across file systems) into `<dataDir>/sandbox/runtimes/<id>`, since the checkout (and its node_modules) may sit
 * in a folder that user cannot traverse. Re-staged only when a file's size or mtime changed. Returns the folder.
 */
export async function stageRuntimeDir(sourceDir: string, dataDir: string, id: string): Promise<string> {
  const runtimesDir = path.join(dataDir, 'sandbox', 'runtimes');
  const target = path.join(runtimesDir, id);
  const stamp = await stampOf(sourceDir);
  const stampFile = path.join(target, '.runtime-stamp');
  if ((await fs.readFile(stampFile, 'utf8').catch(() => '')) === stamp) return target;
  await fs.mkdir(runtimesDir, { recursive: true });
  await fs.chmod(path.dirname(runtimesDir), 0o711);
  await fs.chmod(runtimesDir, 0o711);
  const staging = `${target}.tmp-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { mode: 0o755 });
  for (const entry of await fs.readdir(sourceDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const from = path.join(sourceDir, entry.name);
    const to = path.join(staging, entry.name);
    await fs.link(from, to).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EXDEV' && error.code !== 'EPERM') throw error;
      await fs.copyFile(from, to);
    });
    // Readable and runnable by the sandbox user; a hard link shares the mode with the source, which only widens.
    const { mode } = await fs.stat(to);
    if ((mode & 0o055) !== 0o055) await fs.chmod(to, mode | 0o055);
  }
  await fs.writeFile(path.join(staging, '.runtime-stamp'), stamp, { mode: 0o644 });
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(staging, target);
  return target;
}

async function stampOf(dir: string): Promise<string> {
  const parts = [await fs.realpath(dir)];
  for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!entry.isFile()) continue;
    const stat = await fs.stat(path.join(dir, entry.name));
    parts.push(`${entry.name}:${stat.size}:${stat.mtimeMs}`);
  }
  return parts.join('\n');
}
