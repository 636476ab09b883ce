import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from '../errors.js';
import { runCommand } from '../run-command.js';

/** The shared libraries `ldd` lists (absolute paths, the dynamic loader included; the vDSO skipped). */
export function parseLddOutput(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = line.match(/=>\s*(\/\S+)/);
    const bare = line.match(/^\s*(\/\S+)\s+\(0x/);
    const lib = arrow?.[1] ?? bare?.[1];
    if (lib && !libs.includes(lib)) libs.push(lib);
  }
  return libs;
}

export interface TreeEntry {
  /** Host file. */
  from: string;
  /** Path inside the tree (relative), always under `usr/`. */
  to: string;
}

/**
 * Where each file goes in the tree (pure): node at `usr/bin/node`, each library at its own path moved under
 * `usr/` (`/lib/x86_64-linux-gnu/libc.so.6` → `usr/lib/x86_64-linux-gnu/libc.so.6`). The sandbox gets the tree's
 * `usr` at /usr plus the symlinks /lib → usr/lib, /lib64 → usr/lib64, /bin → usr/bin.
 */
export function runtimeTreeLayout(nodePath: string, libs: readonly string[]): TreeEntry[] {
  const entries: TreeEntry[] = [{ from: nodePath, to: 'usr/bin/node' }];
  for (const lib of libs) {
    const rel = lib.startsWith('/usr/') ? lib.slice(1) : `usr${lib}`;
    if (!entries.some((e) => e.to === rel)) entries.push({ from: lib, to: rel });
  }
  return entries;
}

export interface EnsureRuntimeTreeOptions {
  /** Parent directory of the cached trees; must be owned by this user and not group/world-writable. */
  cacheDir: string;
  /** The node binary to put in the tree; default `process.execPath`. */
  nodePath?: string;
  /** Host PATH for finding `ldd`. */
  hostPath?: string;
}

/**
 * A minimal runtime tree (node + the libraries `ldd` lists), built once per node binary into `cacheDir` and
 * reused: `<cacheDir>/<hash>/usr/...`. Returns the tree's root. Files are hard-linked when possible, else copied.
 */
export async function ensureRuntimeTree(options: EnsureRuntimeTreeOptions): Promise<string> {
  const nodePath = await fs.realpath(options.nodePath ?? process.execPath);
  await ensurePrivateDir(options.cacheDir);
  const ldd = await runCommand('ldd', [nodePath], {
    env: { PATH: options.hostPath ?? '/usr/bin:/bin' },
    timeoutMs: 10_000,
  });
  if (ldd.code !== 0) {
    throw new SandboxError(
      'runtime-unavailable',
      `ldd ${nodePath} failed: ${ldd.error?.message ?? ldd.stderr.trim()}`,
    );
  }
  const libs = await withAgentRuntimeLibs(parseLddOutput(ldd.stdout));
  const stat = await fs.stat(nodePath);
  const key = createHash('sha256')
    .update(JSON.stringify([nodePath, stat.size, stat.mtimeMs, libs]))
    .digest('hex')
    .slice(0, 16);
  const root = path.join(options.cacheDir, `node-${key}`);
  if (await exists(path.join(root, '.complete'))) return root;

  const staging = await fs.mkdtemp(path.join(options.cacheDir, '.staging-'));
  try {
    for (const entry of runtimeTreeLayout(nodePath, libs)) {
      const dest = path.join(staging, entry.to);
      await fs.mkdir(path.dirname(dest), { recursive: true, mode: 0o755 });
      const source = await fs.realpath(entry.from);
      await fs.link(source, dest).catch(() => fs.copyFile(source, dest));
    }
    for (const dir of ['usr/lib', 'usr/lib64', 'usr/bin'])
      await fs.mkdir(path.join(staging, dir), { recursive: true });
    await fs.writeFile(path.join(staging, '.complete'), `${nodePath}\n`);
    await chmodTree(staging);
    await fs.rename(staging, root).catch(async (error: NodeJS.ErrnoException) => {
      // Another process built the same tree first: use theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await fs.rm(staging, { recursive: true, force: true });
    });
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
  return root;
}

/**
 * Libraries the agent runtimes' native binaries (mounted by the host) need besides node's own: Claude Code links
 * librt. Taken from libc's folder when it exists there.
 */
export const AGENT_RUNTIME_LIBS: readonly string[] = ['librt.so.1'];

async function withAgentRuntimeLibs(libs: readonly string[]): Promise<string[]> {
  const libc = libs.find((lib) => /\/libc\.so/.test(lib));
  if (!libc) return [...libs];
  const extra: string[] = [];
  for (const name of AGENT_RUNTIME_LIBS) {
    const candidate = path.join(path.dirname(libc), name);
    if (!libs.includes(candidate) && (await exists(candidate))) extra.push(candidate);
  }
  return [...libs, ...extra];
}

/** Creates `dir` (0755) if needed and refuses one another user could tamper with. */
async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const stat = await fs.lstat(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory()) throw new SandboxError('unsafe-path', `${dir} is not a directory`);
  if (uid !== undefined && stat.uid !== uid) {
    throw new SandboxError(
      'unsafe-path',
      `runtime cache ${dir} is owned by uid ${stat.uid}, not by this user (${uid})`,
    );
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new SandboxError('unsafe-path', `runtime cache ${dir} is group- or world-writable`);
  }
}

async function chmodTree(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(full);
    else if (entry.isFile()) {
      const stat = await fs.stat(full);
      // Hard links share the host file's mode; only widen copies we own.
      if ((stat.mode & 0o444) !== 0o444 && stat.nlink === 1) await fs.chmod(full, stat.mode | 0o444);
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
