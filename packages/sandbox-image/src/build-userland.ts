import fs from 'node:fs/promises';
import path from 'node:path';
import { findHostBinary, findUntraversable, runCommand, runPipeline } from '@nanoclaw/container-runner';
import type { Logger } from '@nanoclaw/core';
import { asUser, type BuildAccount, ensureBuildAccount, findUnreadableBy } from './build-account.js';
import { createBuildProgress, type ProgressListener } from './build-progress.js';
import { SandboxImageError } from './errors.js';
import { PROXY_ENV_KEYS, pickEnv } from './host-env.js';
import { type CachedImage, type ImageCache, imageLockName, treeSize } from './image-cache.js';
import {
  type AptSource,
  aptSourcesInput,
  BASE_PACKAGES,
  mmdebstrapArgs,
  redactSource,
  redactUrlCredentials,
  UID_MAP_FILE,
  type UserlandRecipe,
  userlandDigest,
} from './recipe.js';

/** How to install the builder: printed when mmdebstrap is missing. */
export const MMDEBSTRAP_INSTALL_HINT =
  'apt-get install -y --no-install-recommends mmdebstrap uidmap debian-archive-keyring';

export interface BuildUserlandOptions {
  cache: ImageCache;
  source: AptSource;
  onProgress?: ProgressListener;
  logger?: Logger;
  /** PATH and proxy settings for mmdebstrap and apt (default: this process's). */
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  /** Build even when the cache holds this userland, replacing it (security updates). */
  refresh?: boolean;
}

/**
 * Builds the userland of `recipe` into the cache unless it is there: mmdebstrap (`--mode=unshare`) writes a
 * tarball on stdout that `tar` unpacks into a staging folder; node is checked to run on the tree's own C
 * library; the folder is then moved into place with its manifest. One build per digest at a time across
 * processes (a lock in the cache).
 *
 * No package code runs as root on the host: mmdebstrap's unshare mode puts maintainer scripts and hooks in a user
 * namespace only when it does not run as root, so a root host runs it (and the node check) as the unprivileged
 * account `nanoclaw-build`, created on first use with its own subordinate ids. The build's own uid map is kept in
 * the manifest (`rootMappedTo`), and a build whose root was host root is refused.
 */
export async function buildUserland(
  recipe: UserlandRecipe,
  options: BuildUserlandOptions,
): Promise<CachedImage> {
  const digest = userlandDigest(recipe);
  if (!options.refresh) {
    const existing = await options.cache.find('userland', digest);
    if (existing) return existing;
  }
  const env = buildEnv(options.env ?? process.env);
  const mmdebstrap = await findHostBinary('mmdebstrap', env.PATH);
  if (!mmdebstrap) {
    throw new SandboxImageError(
      'builder-missing',
      'mmdebstrap is not installed: the agent userland cannot be built',
      { hint: MMDEBSTRAP_INSTALL_HINT },
    );
  }
  const lockName = imageLockName('userland', digest);
  return options.cache.withLock(lockName, async () => {
    if (!options.refresh) {
      const again = await options.cache.find('userland', digest);
      if (again) return again;
    }
    const started = Date.now();
    const account = await buildAccountFor(recipe, options);
    const staging = await options.cache.stage(lockName);
    try {
      const tree = path.join(staging, 'tree');
      const workDir = await builderDir(staging, account, options.cache.dir);
      await runMmdebstrap(
        mmdebstrap,
        recipe,
        tree,
        { ...env, HOME: workDir, TMPDIR: workDir },
        account,
        options,
      );
      await fs.rm(workDir, { recursive: true, force: true });
      const rootMappedTo = await takeUidMap(tree);
      await verifyNode(tree, env, account);
      const size = await treeSize(tree);
      const built = await options.cache.commit(staging, {
        kind: 'userland',
        digest,
        suite: recipe.suite,
        packages: [...recipe.packages],
        extraPackages: recipe.packages.filter((name) => !BASE_PACKAGES.includes(name)),
        node: recipe.node.version,
        ...(recipe.node.npm ? { npm: recipe.node.npm.version } : {}),
        mirror: redactSource(options.source).mirror,
        rootMappedTo,
        builtAt: new Date().toISOString(),
        buildMs: Date.now() - started,
        sizeBytes: size.bytes,
        files: size.files,
      });
      options.logger?.info(
        {
          digest: digest.slice(0, 16),
          ms: built.manifest.buildMs,
          mb: Math.round(size.bytes / 1e6),
          builtAs: account?.name ?? `uid ${process.getuid?.()}`,
        },
        'agent userland built',
      );
      return built;
    } catch (error) {
      await options.cache.discard(staging);
      throw error;
    }
  });
}

function buildEnv(source: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return {
    LANG: 'C.UTF-8',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    // Where programs are, temp space, and the proxies apt needs for the mirror.
    ...pickEnv(source, ['PATH', 'HOME', 'TMPDIR', ...PROXY_ENV_KEYS]),
  };
}

/**
 * As root: the build account (created once, under its own lock), after checking it can read the node and npm the
 * hooks copy in. As any other user: none, mmdebstrap's user namespace already maps its root to that user.
 */
async function buildAccountFor(
  recipe: UserlandRecipe,
  options: BuildUserlandOptions,
): Promise<BuildAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const account = await options.cache.withLock('build-account', () =>
    ensureBuildAccount({
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.env ? { env: options.env } : {}),
    }),
  );
  // The customize hooks copy them in as the build's root: the account's first subordinate uid.
  const copied = [recipe.node.path, ...(recipe.node.npm ? [recipe.node.npm.dir] : [])];
  const unreadable = await findUnreadableBy(buildRoot(account), copied);
  if (unreadable) {
    throw new SandboxImageError(
      'build-failed',
      `the build account ${account.name} (its root: uid ${account.subids.start}) cannot read ${unreadable}, which the userland copies in (node at ${recipe.node.path}${recipe.node.npm ? `, npm at ${recipe.node.npm.dir}` : ''})`,
      { hint: `make node and npm readable by all users, e.g. chmod -R o+rX ${copied.join(' ')}` },
    );
  }
  return account;
}

/**
 * mmdebstrap's HOME and TMPDIR (it unpacks the whole tree there first), owned by whoever runs it: 0711, not 0700,
 * because mmdebstrap hands its root folder inside to the first subordinate uid (the build's root), which must be
 * able to enter; nobody else can list it.
 */
async function builderDir(
  staging: string,
  account: BuildAccount | undefined,
  cacheDir: string,
): Promise<string> {
  const dir = path.join(staging, 'builder');
  await fs.mkdir(dir, { mode: 0o711 });
  await fs.chmod(dir, 0o711);
  if (!account) return dir;
  await fs.chown(dir, account.uid, account.gid);
  const blocked =
    (await findUntraversable(dir, account)) ?? (await findUntraversable(dir, buildRoot(account)));
  if (blocked) {
    throw new SandboxImageError(
      'build-failed',
      `the build account ${account.name} cannot reach the userland cache ${cacheDir}: ${blocked} is closed to it`,
      {
        hint: `keep the cache in a folder all users can enter (the default is /var/cache/nanoclaw/userland), or chmod o+x ${blocked}`,
      },
    );
  }
  return dir;
}

/** Who the build's root is on the host: the account's first subordinate uid and gid (mmdebstrap's id map). */
function buildRoot(account: BuildAccount): { uid: number; gid: number } {
  return { uid: account.subids.start, gid: account.subids.start };
}

/** `mmdebstrap … - - | tar -x` (as the build account when there is one): progress from mmdebstrap's stderr. */
async function runMmdebstrap(
  mmdebstrap: string,
  recipe: UserlandRecipe,
  tree: string,
  env: Record<string, string>,
  account: BuildAccount | undefined,
  options: BuildUserlandOptions,
): Promise<void> {
  const progress = createBuildProgress(options.onProgress ?? (() => {}));
  const args = mmdebstrapArgs(recipe, options.source);
  const [file, argv] = account ? asUser(account, mmdebstrap, args) : [mmdebstrap, args];
  const [built, unpacked] = await runPipeline(
    {
      file,
      args: argv,
      options: {
        env,
        cwd: env.HOME,
        // The sources (a mirror URL may carry a password) go on stdin, never into the argument list.
        input: aptSourcesInput(recipe.suite, options.source),
        keepLast: 4_000,
        onStderrLine: (line) => progress.line(redactUrlCredentials(line)),
      },
    },
    {
      // /dev is the sandbox runtime's (bwrap --dev, docker's own); its device nodes could not be made as non-root.
      file: 'tar',
      args: ['-C', tree, '--numeric-owner', '--exclude=./dev/*', '-xpf', '-'],
      options: { env, keepLast: 2_000 },
    },
    options.signal ? { signal: options.signal } : {},
  );
  if (built.aborted) throw new SandboxImageError('build-failed', 'the userland build was cancelled');
  if (built.code !== 0)
    throw buildFailure(progress.failure(), built.error?.message ?? built.code ?? built.signal ?? 'killed');
  if (unpacked.code !== 0)
    throw new SandboxImageError(
      'build-failed',
      `unpacking the userland failed (tar exit ${unpacked.code}): ${unpacked.stderr.trim()}`,
    );
  progress.finish();
}

function buildFailure(output: string, code: number | string): SandboxImageError {
  const missing = [...output.matchAll(/Unable to locate package (\S+)/g)].map((m) => m[1]);
  if (missing.length > 0) {
    return new SandboxImageError(
      'invalid-packages',
      `Debian has no package ${missing.map((name) => `"${name}"`).join(', ')} in this suite`,
    );
  }
  const hint = /newuidmap|subuid|unshare/.test(output)
    ? 'mmdebstrap --mode=unshare needs user namespaces and, as a non-root user, newuidmap (package uidmap) and a range for you in /etc/subuid and /etc/subgid'
    : undefined;
  return new SandboxImageError(
    'build-failed',
    `mmdebstrap failed (${code}):\n${output}`,
    hint ? { hint } : {},
  );
}

/**
 * The host uid the build's root was, from the uid map a customize hook left in the tree (then removed): a build
 * whose root was host root (mmdebstrap run as root) is refused, whatever ran it.
 */
async function takeUidMap(tree: string): Promise<number> {
  const file = path.join(tree, UID_MAP_FILE);
  const map = await fs.readFile(file, 'utf8').catch(() => '');
  await fs.rm(file, { force: true });
  const root = map
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .find((fields) => fields[0] === 0 && fields.length === 3);
  const hostUid = root?.[1];
  if (hostUid === undefined || !Number.isInteger(hostUid))
    throw new SandboxImageError(
      'build-failed',
      `the build left no readable uid map (${JSON.stringify(map)})`,
    );
  if (hostUid === 0)
    throw new SandboxImageError(
      'build-failed',
      "the userland build ran its packages' scripts as root on the host (uid map 0 → 0): refused",
    );
  return hostUid;
}

/**
 * Runs the tree's node on the tree's own dynamic loader and libraries (no sandbox tool needed; as the build
 * account on a root host): a host node built against a newer C library than the suite's, or one that needs a
 * library the tree lacks, fails here with its own message instead of in every sandbox.
 */
async function verifyNode(
  tree: string,
  env: Record<string, string>,
  account: BuildAccount | undefined,
): Promise<void> {
  const lib = path.join(tree, 'usr/lib');
  const loaders = [
    ...(await fs.readdir(path.join(tree, 'usr/lib64')).catch(() => [] as string[])).map((n) =>
      path.join(tree, 'usr/lib64', n),
    ),
    ...(await fs.readdir(lib).catch(() => [] as string[])).map((n) => path.join(lib, n)),
  ].filter((file) => /\/ld-linux[^/]*\.so\.\d+$/.test(file));
  const multiarch = (await fs.readdir(lib).catch(() => [] as string[])).filter((n) => /-linux-gnu/.test(n));
  const loader = loaders[0];
  if (!loader)
    throw new SandboxImageError('build-failed', 'the userland has no dynamic loader (usr/lib*/ld-linux*)');
  const libraryPath = [...multiarch.map((n) => path.join(lib, n)), lib].join(':');
  const args = ['--library-path', libraryPath, path.join(tree, 'usr/bin/node'), '--version'];
  const [file, argv] = account ? asUser(account, loader, args) : [loader, args];
  const result = await runCommand(file, argv, {
    env: { PATH: env.PATH ?? '/usr/bin:/bin' },
    cwd: '/',
    timeoutMs: 60_000,
  });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.code === 0 && /^v\d+\./.test(output)) return;
  const library = output.match(/error while loading shared libraries: ([^:\s]+)/)?.[1];
  throw new SandboxImageError(
    'build-failed',
    library
      ? `this machine's node needs ${library}, which the userland does not have: ${output}`
      : `this machine's node does not run on the userland's C library: ${output || result.error?.message || `exit ${result.code}`}`,
    {
      hint: library
        ? 'use a self-contained node (the official Node.js builds are), not one linked against shared libraries'
        : 'use a node built for glibc 2.36 or older (the official Node.js builds are), or a newer suite',
    },
  );
}
