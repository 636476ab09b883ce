import { createHash } from 'node:crypto';
import { aptPackageNameSchema } from '@nanoclaw/core';
import { SandboxImageError } from './errors.js';

/** Bumped whenever the build steps below change what ends up in a rootfs: every cached userland is rebuilt. */
export const USERLAND_RECIPE_VERSION = 1;

/** The Debian suite every userland is built from (pinned: a new suite is a deliberate change). */
export const DEFAULT_USERLAND_SUITE = 'bookworm';

/**
 * What every agent gets: a shell and the tools agents reach for (git, rg, jq, curl, python3 with venv, make),
 * media tools for what users send (ffmpeg: voice notes are converted in the sandbox, never on the host;
 * poppler-utils: `pdftotext` for PDFs), time zones for `TZ`, CA certificates. Kept in step with docker/agent-runner.Dockerfile (a test checks).
 */
export const BASE_PACKAGES: readonly string[] = [
  'bash',
  'ca-certificates',
  'coreutils',
  'curl',
  'diffutils',
  'ffmpeg',
  'file',
  'findutils',
  'gawk',
  'git',
  'grep',
  'gzip',
  'jq',
  'less',
  'libstdc++6',
  'make',
  'netbase',
  'patch',
  'poppler-utils',
  'procps',
  'python3',
  'python3-venv',
  'ripgrep',
  'sed',
  'tar',
  'tzdata',
  'unzip',
  'xz-utils',
  'zip',
];

/** Debian package names as apt takes them (`libfoo2`, `g++`, `python3.11`); nothing apt would read as an option. */
const isAptPackageName = (name: string) => aptPackageNameSchema.safeParse(name).success;

/** The agent user inside every userland (the sandbox may still run as another uid: runtimes write passwd). */
export const AGENT_USER = { name: 'agent', uid: 1000, gid: 1000, home: '/home/agent', shell: '/bin/bash' };

export interface NodeRuntime {
  /** The node binary copied to /usr/bin/node (resolved, not a symlink). */
  path: string;
  /** `process.version` of that binary, e.g. `v20.20.2`. */
  version: string;
  /** npm's package folder copied to /usr/lib/node_modules/npm, when npm is there. */
  npm?: { dir: string; version: string };
}

export interface UserlandRecipe {
  suite: string;
  /** Sorted, without duplicates. */
  packages: readonly string[];
  node: NodeRuntime;
}

export interface AptSource {
  /** e.g. `http://deb.debian.org/debian` */
  mirror: string;
  /** e.g. `http://deb.debian.org/debian-security` */
  securityMirror: string;
}

/** The base recipe plus `extraPackages` (a group's `packages.apt`); bad names are refused naming the package. */
export function userlandRecipe(options: {
  node: NodeRuntime;
  suite?: string;
  extraPackages?: readonly string[];
}): UserlandRecipe {
  for (const name of options.extraPackages ?? []) {
    if (!isAptPackageName(name)) {
      throw new SandboxImageError('invalid-packages', `"${name}" is not a Debian package name`);
    }
  }
  const packages = [...new Set([...BASE_PACKAGES, ...(options.extraPackages ?? [])])].sort();
  return { suite: options.suite ?? DEFAULT_USERLAND_SUITE, packages, node: options.node };
}

/**
 * What identifies a built userland: the recipe version, suite, package list, node and npm versions. Not the
 * mirror (any mirror of the suite gives the same packages) and not the build time.
 */
export function userlandDigest(recipe: UserlandRecipe): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        USERLAND_RECIPE_VERSION,
        recipe.suite,
        recipe.packages,
        recipe.node.version,
        recipe.node.npm?.version ?? null,
      ]),
    )
    .digest('hex');
}

/** apt sources for a suite: the main archive, its updates, and the security archive. */
export function aptSourceLines(suite: string, source: AptSource): string[] {
  return [
    `deb ${source.mirror} ${suite} main`,
    `deb ${source.mirror} ${suite}-updates main`,
    `deb ${source.securityMirror} ${suite}-security main`,
  ];
}

/**
 * What mmdebstrap reads as its sources.list on standard input (the `-` mirror): the source lines, with any
 * user and password of a mirror URL, which therefore never appear in its arguments (`ps` shows those to everyone).
 */
export function aptSourcesInput(suite: string, source: AptSource): string {
  return `${aptSourceLines(suite, source).join('\n')}\n`;
}

/** `http://user:pass@host/…` → `http://***@host/…` in any text (manifests, logs, error messages). */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/** Where the customize hooks leave the build's /proc/self/uid_map for the host to read (then removed). */
export const UID_MAP_FILE = '.nanoclaw-build-uid-map';

/** One argument for `sh -c` (single-quoted). */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Paths dpkg never writes: documentation, manuals and translations (copyright files stay). */
const DPKG_EXCLUDES = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/lintian/*',
  'path-exclude=/usr/share/bash-completion/*',
];

/**
 * The shell steps run on the finished tree (`$1` is its root, outside the chroot; run as the build's root, which
 * is not host root): node and npm, the agent user with a real home and bash, empty /etc/resolv.conf and a
 * localhost-only /etc/hosts (mmdebstrap would copy the host's), no /etc/hostname, a sources.list without
 * credentials, no setuid or setgid bit anywhere, and the mount points sandboxes use.
 */
function customizeHooks(node: NodeRuntime, sourcesList: readonly string[]): string[] {
  const hooks = [
    // Evidence of who the build's root was on the host (see buildUserland): never host root.
    `cat /proc/self/uid_map > "$1/${UID_MAP_FILE}"`,
    `upload ${node.path} /usr/bin/node`,
    'chmod 0755 "$1/usr/bin/node"',
  ];
  if (node.npm) {
    hooks.push(
      'mkdir -p "$1/usr/lib/node_modules"',
      `copy-in ${node.npm.dir} /usr/lib/node_modules`,
      'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/bin/npm"',
      'ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/bin/npx"',
    );
  }
  const { name, uid, gid, home, shell } = AGENT_USER;
  // `useradd` is not in the essential set (package passwd): the entries are written as they would be.
  hooks.push(
    `printf '%s\\n' '${name}:x:${uid}:${gid}:${name}:${home}:${shell}' >> "$1/etc/passwd"`,
    `printf '%s\\n' '${name}:x:${gid}:' >> "$1/etc/group"`,
    `mkdir -p "$1${home}" && chown ${uid}:${gid} "$1${home}" && chmod 0750 "$1${home}"`,
    'rm -f "$1/etc/hostname"',
    // The mirror as the tree's apt knows it, without the user and password it may have been read with.
    `printf '%s\\n' ${sourcesList.map(shellQuote).join(' ')} > "$1/etc/apt/sources.list"`,
    ': > "$1/etc/resolv.conf"',
    'printf "127.0.0.1 localhost\\n::1 localhost ip6-localhost ip6-loopback\\n" > "$1/etc/hosts"',
    'find "$1" -xdev -type f -perm /6000 -exec chmod ug-s {} +',
    'mkdir -p "$1/workspace/group" "$1/workspace/global" "$1/workspace/extra" "$1/app" "$1/opt/nanoclaw" "$1/run/nanoclaw"',
    'rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"* "$1/var/log/"*.log',
  );
  return hooks;
}

/**
 * mmdebstrap's arguments (pure): the `essential` variant plus the recipe's packages, no recommends, docs and
 * translations dropped, the customize hooks above, a tarball on stdout (`-`) and the sources on stdin (`-`, see
 * `aptSourcesInput`). `--mode=unshare` runs every maintainer script as root of a user namespace — a fake root
 * only when mmdebstrap itself does not run as root: as root it unshares just the mount namespace, so
 * `buildUserland` runs it as the unprivileged build account on a root host.
 */
export function mmdebstrapArgs(recipe: UserlandRecipe, source: AptSource): string[] {
  if (!recipe.packages.every(isAptPackageName)) {
    throw new SandboxImageError('invalid-packages', 'the recipe holds a name that is not a Debian package');
  }
  return [
    '--mode=unshare',
    '--variant=essential',
    '--format=tar',
    '--verbose',
    `--include=${recipe.packages.join(',')}`,
    '--aptopt=APT::Install-Recommends "false"',
    ...DPKG_EXCLUDES.map((option) => `--dpkgopt=${option}`),
    ...customizeHooks(recipe.node, aptSourceLines(recipe.suite, redactSource(source))).map(
      (hook) => `--customize-hook=${hook}`,
    ),
    recipe.suite,
    '-',
    '-',
  ];
}

/** The source with the user and password of its URLs replaced (what manifests, logs and the tree may show). */
export function redactSource(source: AptSource): AptSource {
  return {
    mirror: redactUrlCredentials(source.mirror),
    securityMirror: redactUrlCredentials(source.securityMirror),
  };
}
