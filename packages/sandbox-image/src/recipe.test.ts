import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSandboxImageError } from './errors.js';
import { aptSourceLines, BASE_PACKAGES, mmdebstrapArgs, userlandDigest, userlandRecipe } from './recipe.js';

const node = {
  path: '/usr/bin/node',
  version: 'v20.20.2',
  npm: { dir: '/usr/lib/node_modules/npm', version: '11.1.0' },
};
const source = { mirror: 'http://mirror.test/debian', securityMirror: 'http://mirror.test/debian-security' };

describe('userlandRecipe', () => {
  it('holds a shell, git, python, ripgrep and the other base tools, sorted and without duplicates', () => {
    const recipe = userlandRecipe({ node, extraPackages: ['git', 'sqlite3'] });
    for (const name of [
      'bash',
      'coreutils',
      'git',
      'python3',
      'python3-venv',
      'ripgrep',
      'jq',
      'curl',
      'make',
      'sqlite3',
    ])
      expect(recipe.packages).toContain(name);
    expect(recipe.packages).toEqual([...new Set(recipe.packages)].sort());
    expect(recipe.suite).toBe('bookworm');
  });

  it('refuses a name apt would read as an option or a path, naming it', () => {
    for (const bad of ['-o=Dir=/', 'Foo', '../x', 'a b', '']) {
      let caught: unknown;
      try {
        userlandRecipe({ node, extraPackages: [bad] });
      } catch (error) {
        caught = error;
      }
      expect(isSandboxImageError(caught, 'invalid-packages')).toBe(true);
      expect(String(caught)).toContain(`"${bad}"`);
    }
  });
});

describe('userlandDigest', () => {
  it('changes with the package list, the suite, node and npm, and not with the order of extras', () => {
    const base = userlandDigest(userlandRecipe({ node }));
    expect(userlandDigest(userlandRecipe({ node }))).toBe(base);
    expect(userlandDigest(userlandRecipe({ node, extraPackages: ['sqlite3', 'zsh'] }))).toBe(
      userlandDigest(userlandRecipe({ node, extraPackages: ['zsh', 'sqlite3'] })),
    );
    expect(userlandDigest(userlandRecipe({ node, extraPackages: ['sqlite3'] }))).not.toBe(base);
    expect(userlandDigest(userlandRecipe({ node, suite: 'trixie' }))).not.toBe(base);
    expect(userlandDigest(userlandRecipe({ node: { ...node, version: 'v20.21.0' } }))).not.toBe(base);
    expect(
      userlandDigest(userlandRecipe({ node: { ...node, npm: { ...node.npm, version: '11.2.0' } } })),
    ).not.toBe(base);
  });
});

describe('mmdebstrapArgs', () => {
  const args = mmdebstrapArgs(userlandRecipe({ node }), source);

  it('runs unprivileged (user namespace), without recommends, docs or translations, writing a tarball to stdout', () => {
    expect(args).toContain('--mode=unshare');
    expect(args).toContain('--aptopt=APT::Install-Recommends "false"');
    expect(args).toContain('--dpkgopt=path-exclude=/usr/share/doc/*');
    expect(args).toContain('--dpkgopt=path-exclude=/usr/share/locale/*');
    expect(args.slice(-5, -3)).toEqual(['bookworm', '-']);
    expect(args.slice(-3)).toEqual(aptSourceLines('bookworm', source));
    expect(args.find((a) => a.startsWith('--include='))).toBe(
      `--include=${userlandRecipe({ node }).packages.join(',')}`,
    );
  });

  it("puts node and npm in, adds the agent with bash and a real home, and keeps the host's files out", () => {
    const hooks = args
      .filter((a) => a.startsWith('--customize-hook='))
      .map((a) => a.slice('--customize-hook='.length));
    expect(hooks).toContain('upload /usr/bin/node /usr/bin/node');
    expect(hooks).toContain('copy-in /usr/lib/node_modules/npm /usr/lib/node_modules');
    expect(hooks.join('\n')).toContain('agent:x:1000:1000:agent:/home/agent:/bin/bash');
    expect(hooks).toContain('rm -f "$1/etc/hostname"');
    expect(hooks).toContain(': > "$1/etc/resolv.conf"');
    expect(hooks.join('\n')).toContain('-perm /6000 -exec chmod ug-s');
  });

  it('skips npm when the host has none', () => {
    const bare = mmdebstrapArgs(
      userlandRecipe({ node: { path: '/usr/bin/node', version: 'v20.20.2' } }),
      source,
    );
    expect(bare.join(' ')).not.toContain('npm');
  });
});

describe('docker/agent-runner.Dockerfile', () => {
  it('installs the same package list as the userland (the registry path gives agents the same tools)', () => {
    const dockerfile = readFileSync(
      fileURLToPath(new URL('../../../docker/agent-runner.Dockerfile', import.meta.url)),
      'utf8',
    );
    const install = dockerfile.split('apt-get install -y --no-install-recommends')[1]?.split('&&')[0] ?? '';
    const listed = install.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
    const expected = BASE_PACKAGES;
    expect(new Set(listed)).toEqual(new Set(expected));
  });
});
