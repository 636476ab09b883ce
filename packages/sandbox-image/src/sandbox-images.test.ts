import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildProgress } from './build-progress.js';
import { createSandboxImages } from './sandbox-images.js';

const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const images = createSandboxImages();
const builder = await images.builder();
if (!builder.ok && IN_CI)
  throw new Error(`CI must build the agent userland: ${builder.reason} (${builder.hint})`);
if (!builder.ok) console.warn(`[sandbox-image] real build skipped: ${builder.reason} (${builder.hint})`);

/**
 * The real thing: mmdebstrap builds the base userland from the machine's Debian mirror into the default cache
 * (shared with `nanoclaw sandbox image build` and CI's earlier step, so it usually finds it built).
 */
describe.skipIf(!builder.ok)('the base userland (real mmdebstrap build)', { timeout: 15 * 60_000 }, () => {
  it('holds a shell and the tools agents use, node and npm, and the agent user with bash and a home', async () => {
    const progress: BuildProgress[] = [];
    const base = await images.ensureBase({ onProgress: (event) => progress.push(event) });
    const tree = base.tree;
    for (const tool of [
      'bash',
      'git',
      'python3',
      'rg',
      'jq',
      'curl',
      'make',
      'patch',
      'tar',
      'xz',
      'unzip',
      'zip',
      'file',
      'less',
      'ps',
      'gawk',
      'node',
      'npm',
      'npx',
    ])
      expect(await exists(path.join(tree, 'usr/bin', tool)), tool).toBe(true);
    expect(await exists(path.join(tree, 'usr/lib/python3.11/venv'))).toBe(true);
    const passwd = readFileSync(path.join(tree, 'etc/passwd'), 'utf8');
    expect(passwd).toContain('agent:x:1000:1000:agent:/home/agent:/bin/bash');
    const home = await fs.stat(path.join(tree, 'home/agent'));
    expect([home.uid, home.isDirectory()]).toEqual([process.getuid?.() === 0 ? 1000 : home.uid, true]);
    expect(base.manifest).toMatchObject({ kind: 'userland', suite: 'bookworm', node: process.version });
    expect(base.manifest.sizeBytes).toBeGreaterThan(100e6);
    if (progress.length > 0) expect(progress.at(-1)?.phase).toBe('done');
  });

  it("keeps the host's files out: no hostname, empty resolv.conf, a localhost-only hosts file, no setuid bit", async () => {
    const { tree } = await images.ensureBase();
    expect(await exists(path.join(tree, 'etc/hostname'))).toBe(false);
    expect(readFileSync(path.join(tree, 'etc/resolv.conf'), 'utf8')).toBe('');
    expect(readFileSync(path.join(tree, 'etc/hosts'), 'utf8')).toBe(
      '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n',
    );
    const setuid: string[] = [];
    for (const entry of await fs.readdir(tree, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      if (((await fs.lstat(file)).mode & 0o6000) !== 0) setuid.push(file);
    }
    expect(setuid).toEqual([]);
    expect(await exists(path.join(tree, 'usr/share/man/man1'))).toBe(false);
  });

  it('is found in the cache the second time, and status reports it', async () => {
    const first = await images.ensureBase();
    const again = await createSandboxImages().ensureBase();
    expect(again.dir).toBe(first.dir);
    const status = await images.status();
    expect(status.base.built?.dir).toBe(first.dir);
    expect(status.cached.map((image) => image.dir)).toContain(first.dir);
  });
});

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
