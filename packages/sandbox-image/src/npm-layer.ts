import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chownTree, runCommand, runSandboxToExit } from '@nanoclaw/container-runner';
import { type ContainerRuntime, type Logger, npmPackageSpecSchema } from '@nanoclaw/core';
import { asUser } from './build-account.js';
import type { ProgressListener } from './build-progress.js';
import { SandboxImageError } from './errors.js';
import { type CachedImage, type ImageCache, imageLockName, treeSize } from './image-cache.js';

/** Runs one build step in a sandbox of a userland: the layer folder read-write at /usr/local, no network. */
export interface LayerSandbox {
  run(step: {
    userland: CachedImage;
    layerDir: string;
    command: readonly string[];
    env: Readonly<Record<string, string>>;
  }): Promise<{ code: number | null; output: string }>;
}

export interface BuildNpmLayerOptions {
  cache: ImageCache;
  userland: CachedImage;
  packages: readonly string[];
  /** Where install scripts run (never on the host). */
  sandbox: LayerSandbox;
  /** The host's node and npm (the userland carries the same version): they download, without running scripts. */
  npm: { node: string; cli: string; version: string };
  /** uid/gid the download runs as (the sandbox user when the host is root); default this process's. */
  fetchAs?: { uid: number; gid: number };
  /** The host user's npm settings passed to the download (registry, CA file, proxies). */
  npmConfig?: Readonly<Record<string, string>>;
  onProgress?: ProgressListener;
  logger?: Logger;
  /** Build even when the cache holds this layer, replacing it. */
  refresh?: boolean;
}

/** What identifies an npm layer: the userland it is built on and its sorted package specs. */
export function npmLayerDigest(userlandDigest: string, packages: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([1, userlandDigest, [...new Set(packages)].sort()]))
    .digest('hex');
}

/**
 * A group's npm packages as a /usr/local layer for its userland, built in two steps so that no package code runs
 * on the host: the host's npm downloads and links them with `--ignore-scripts` (as an unprivileged user, with the
 * host's registry settings), then `npm rebuild` runs their install scripts inside a sandbox of the userland with
 * the layer mounted at /usr/local and no network. The finished tree is then handed to this process's user
 * (lchown, never through a symlink) with every write bit cleared, so neither the sandbox user (a real account on
 * some hosts) nor anyone else can change it once it is in the cache.
 */
export async function buildNpmLayer(options: BuildNpmLayerOptions): Promise<CachedImage> {
  const packages = [...new Set(options.packages)].sort();
  for (const spec of packages) {
    if (!npmPackageSpecSchema.safeParse(spec).success)
      throw new SandboxImageError(
        'invalid-packages',
        `"${spec}" is not an npm package name (with an optional version)`,
      );
  }
  const digest = npmLayerDigest(options.userland.manifest.digest, packages);
  if (!options.refresh) {
    const existing = await options.cache.find('npm-layer', digest);
    if (existing) return existing;
  }
  const lockName = imageLockName('npm-layer', digest);
  return options.cache.withLock(lockName, async () => {
    if (!options.refresh) {
      const again = await options.cache.find('npm-layer', digest);
      if (again) return again;
    }
    const started = Date.now();
    const staging = await options.cache.stage(lockName);
    try {
      const tree = path.join(staging, 'tree');
      const progress = (label: string) =>
        options.onProgress?.({ phase: 'npm', label, elapsedMs: Date.now() - started });
      progress(`downloading npm packages ${packages.join(' ')}`);
      await fetchPackages(tree, staging, packages, options);
      progress('running their install scripts in a sandbox');
      await rebuildInSandbox(tree, options);
      await takeBack(tree);
      const size = await treeSize(tree);
      return await options.cache.commit(staging, {
        kind: 'npm-layer',
        digest,
        packages,
        userland: options.userland.manifest.digest,
        npm: options.npm.version,
        builtAt: new Date().toISOString(),
        buildMs: Date.now() - started,
        sizeBytes: size.bytes,
        files: size.files,
      });
    } catch (error) {
      await options.cache.discard(staging);
      throw error;
    }
  });
}

/** `npm install --global --prefix <tree> --ignore-scripts <packages>` on the host, as `fetchAs`. */
async function fetchPackages(
  tree: string,
  staging: string,
  packages: readonly string[],
  options: BuildNpmLayerOptions,
): Promise<void> {
  const home = path.join(staging, 'npm-home');
  await fs.mkdir(home, { mode: 0o700 });
  const owner = options.fetchAs;
  if (owner) {
    await fs.chown(home, owner.uid, owner.gid);
    await fs.chown(tree, owner.uid, owner.gid);
  }
  const npmArgs = [
    options.npm.cli,
    'install',
    '--global',
    '--prefix',
    tree,
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--loglevel=error',
    ...packages,
  ];
  const [file, args] = owner ? asUser(owner, options.npm.node, npmArgs) : [options.npm.node, npmArgs];
  const env = {
    PATH: `${path.dirname(options.npm.node)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    npm_config_cache: path.join(home, 'cache'),
    ...options.npmConfig,
  };
  const result = await runCommand(file, args, { env, timeoutMs: 10 * 60_000 });
  await fs.rm(home, { recursive: true, force: true });
  if (result.code !== 0) {
    const output = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-15).join('\n');
    const notFound = output.match(/404[^\n]*'([^']+)'/);
    if (notFound?.[1]) {
      throw new SandboxImageError('invalid-packages', `npm has no package ${notFound[1]}`);
    }
    throw new SandboxImageError(
      'build-failed',
      `downloading npm packages failed (${result.error?.message ?? `exit ${result.code}`}):\n${output}`,
    );
  }
}

/** The layer becomes this process's user's and read-only (hard-linked files too: they are all inside the tree). */
async function takeBack(tree: string): Promise<void> {
  const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const result = await chownTree(tree, owner, { hardLinks: 'change', readOnly: true });
  if (result.skipped.length > 0) {
    throw new SandboxImageError(
      'build-failed',
      `the npm layer holds entries that could not be taken back from the sandbox user: ${result.skipped.slice(0, 5).join(', ')}`,
    );
  }
}

/** `npm rebuild --global` inside a sandbox: the packages' install scripts, offline, as the sandbox user. */
async function rebuildInSandbox(tree: string, options: BuildNpmLayerOptions): Promise<void> {
  const result = await options.sandbox.run({
    userland: options.userland,
    layerDir: tree,
    command: [
      '/usr/bin/npm',
      'rebuild',
      '--global',
      '--prefix',
      '/usr/local',
      '--foreground-scripts',
      '--loglevel=error',
    ],
    env: {
      HOME: '/home/agent',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      npm_config_cache: '/tmp/npm-cache',
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    },
  });
  if (result.code !== 0) {
    throw new SandboxImageError(
      'build-failed',
      `the install scripts of the npm packages failed in the sandbox (exit ${result.code}):\n${result.output.trim().split('\n').slice(-15).join('\n')}`,
    );
  }
}

/**
 * A `LayerSandbox` over a container runtime: bwrap gets the userland tree as its root, image runtimes the image
 * `imageFor` returns for it. The step runs as `user` with no network, default limits and a 10-minute cap.
 */
export function createLayerSandbox(options: {
  runtime: ContainerRuntime;
  user: { uid: number; gid: number };
  imageFor?: (userland: CachedImage) => Promise<string>;
  timeoutMs?: number;
}): LayerSandbox {
  return {
    async run(step) {
      const usesImage = options.runtime.name === 'docker' || options.runtime.name === 'apple';
      if (usesImage && !options.imageFor)
        throw new SandboxImageError(
          'build-failed',
          `${options.runtime.name} needs an image of the userland to build in`,
        );
      const where =
        usesImage && options.imageFor
          ? { image: await options.imageFor(step.userland) }
          : { rootfs: step.userland.tree };
      const proc = await options.runtime.spawn({
        name: `nanoclaw-build-${randomBytes(4).toString('hex')}`,
        ...where,
        command: [...step.command],
        cwd: '/tmp',
        env: { ...step.env },
        mounts: [{ hostPath: step.layerDir, containerPath: '/usr/local', readonly: false }],
        network: 'none',
        limits: { memoryMb: 2048, cpus: 2, pids: 1024 },
        labels: { 'nanoclaw.build': 'npm-layer' },
        user: options.user,
      });
      return runSandboxToExit(proc, { timeoutMs: options.timeoutMs ?? 10 * 60_000 });
    },
  };
}
