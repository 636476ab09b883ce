import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSandboxImageError } from './errors.js';
import {
  aptSourceLines,
  aptSourcesInput,
  BASE_PACKAGES,
  mmdebstrapArgs,
  redactUrlCredentials,
  UID_MAP_FILE,
  userlandDigest,
  userlandRecipe,
} from './recipe.js';

const node = {
  path: '/usr/bin/node',
  version: 'v20.20.2',
  npm: { dir: '/usr/lib/node_modules/npm', version: '11.1.0' },
};
const source = { mirror: 'http://mirror.test/debian', securityMirror: 'http://mirror.test/debian-security' };

describe('userlandRecipe', () => {
  it('holds a shell, git, python, ripgrep, media tools and the other base tools, sorted and without duplicates', () => {
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
      // what users send: voice notes converted in the sandbox, PDFs read with pdftotext (issue 20)
      'ffmpeg',
      'poppler-utils',
      'file',
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

  it('runs in a user namespace, without recommends, docs or translations, a tarball to stdout, the sources from stdin', () => {
    expect(args).toContain('--mode=unshare');
    expect(args).toContain('--aptopt=APT::Install-Recommends "false"');
    expect(args).toContain('--dpkgopt=path-exclude=/usr/share/doc/*');
    expect(args).toContain('--dpkgopt=path-exclude=/usr/share/locale/*');
    expect(args.slice(-3)).toEqual(['bookworm', '-', '-']);
    expect(aptSourcesInput('bookworm', source)).toBe(`${aptSourceLines('bookworm', source).join('\n')}\n`);
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

  it("leaves the build's uid map in the tree: the host checks its root was not host root", () => {
    expect(args).toContain(`--customize-hook=cat /proc/self/uid_map > "$1/${UID_MAP_FILE}"`);
  });

  it("keeps a mirror's user and password out of the arguments and out of the tree's sources.list", () => {
    const secret = {
      mirror: 'http://user:s3cret@mirror.test/debian',
      securityMirror: 'https://u:p@sec.test/ds',
    };
    const withSecret = mmdebstrapArgs(userlandRecipe({ node }), secret);
    expect(withSecret.join(' ')).not.toContain('s3cret');
    expect(withSecret.join(' ')).not.toContain('u:p@');
    expect(withSecret).toContain(
      "--customize-hook=printf '%s\\n' 'deb http://***@mirror.test/debian bookworm main' 'deb http://***@mirror.test/debian bookworm-updates main' 'deb https://***@sec.test/ds bookworm-security main' > \"$1/etc/apt/sources.list\"",
    );
    // apt itself reads them from stdin.
    expect(aptSourcesInput('bookworm', secret)).toContain(
      'http://user:s3cret@mirror.test/debian bookworm main',
    );
  });

  it('skips npm when the host has none', () => {
    const bare = mmdebstrapArgs(
      userlandRecipe({ node: { path: '/usr/bin/node', version: 'v20.20.2' } }),
      source,
    );
    expect(bare.join(' ')).not.toContain('npm');
  });
});

describe('redactUrlCredentials', () => {
  it('hides the user and password of any URL in a text, and leaves URLs without them alone', () => {
    expect(redactUrlCredentials('Get:1 http://me:pw@deb.example/debian bookworm InRelease')).toBe(
      'Get:1 http://***@deb.example/debian bookworm InRelease',
    );
    expect(redactUrlCredentials('E: Failed https://token@mirror/x and http://plain.example/y')).toBe(
      'E: Failed https://***@mirror/x and http://plain.example/y',
    );
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
