import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { findHostBinary } from '@nanoclaw/container-runner';
import type { Logger } from '@nanoclaw/core';
import { createBuildProgress, type ProgressListener } from './build-progress.js';
import { SandboxImageError } from './errors.js';
import { PROXY_ENV_KEYS, pickEnv } from './host-env.js';
import { type CachedImage, type ImageCache, treeSize } from './image-cache.js';
import {
  type AptSource,
  BASE_PACKAGES,
  mmdebstrapArgs,
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
}

/**
 * Builds the userland of `recipe` into the cache unless it is there: mmdebstrap (`--mode=unshare`: no maintainer
 * script runs as root on the host) writes a tarball on stdout that `tar` unpacks into a staging folder; node is
 * checked to run on the tree's own C library; the folder is then moved into place with its manifest. One build per
 * digest at a time across processes (a lock in the cache).
 */
export async function buildUserland(
  recipe: UserlandRecipe,
  options: BuildUserlandOptions,
): Promise<CachedImage> {
  const digest = userlandDigest(recipe);
  const existing = await options.cache.find('userland', digest);
  if (existing) return existing;
  const env = buildEnv(options.env ?? process.env);
  const mmdebstrap = await findHostBinary('mmdebstrap', env.PATH);
  if (!mmdebstrap) {
    throw new SandboxImageError(
      'builder-missing',
      'mmdebstrap is not installed: the agent userland cannot be built',
      {
        hint: MMDEBSTRAP_INSTALL_HINT,
      },
    );
  }
  return options.cache.withLock(digest.slice(0, 16), async () => {
    const again = await options.cache.find('userland', digest);
    if (again) return again;
    const started = Date.now();
    const staging = await options.cache.stage();
    try {
      const tree = path.join(staging, 'tree');
      await runMmdebstrap(mmdebstrap, mmdebstrapArgs(recipe, options.source), tree, env, options);
      await verifyNode(tree, env);
      const size = await treeSize(tree);
      const built = await options.cache.commit(staging, {
        kind: 'userland',
        digest,
        suite: recipe.suite,
        packages: [...recipe.packages],
        extraPackages: recipe.packages.filter((name) => !BASE_PACKAGES.includes(name)),
        node: recipe.node.version,
        ...(recipe.node.npm ? { npm: recipe.node.npm.version } : {}),
        mirror: options.source.mirror,
        builtAt: new Date().toISOString(),
        buildMs: Date.now() - started,
        sizeBytes: size.bytes,
        files: size.files,
      });
      options.logger?.info(
        { digest: digest.slice(0, 16), ms: built.manifest.buildMs, mb: Math.round(size.bytes / 1e6) },
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

/** `mmdebstrap … - | tar -x`: progress from mmdebstrap's stderr; both must succeed. */
async function runMmdebstrap(
  mmdebstrap: string,
  args: readonly string[],
  tree: string,
  env: Record<string, string>,
  options: BuildUserlandOptions,
): Promise<void> {
  const progress = createBuildProgress(options.onProgress ?? (() => {}));
  const builder = spawn(mmdebstrap, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // /dev is the sandbox runtime's (bwrap --dev, docker's own); its device nodes could not be made as non-root.
  const unpack = spawn('tar', ['-C', tree, '--numeric-owner', '--exclude=./dev/*', '-xpf', '-'], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  builder.stdout.pipe(unpack.stdin);
  unpack.stdin.on('error', () => {});
  let tarError = '';
  unpack.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    tarError = (tarError + chunk).slice(-2_000);
  });
  createInterface({ input: builder.stderr }).on('line', (line) => progress.line(line));
  const abort = () => {
    builder.kill('SIGTERM');
    unpack.kill('SIGTERM');
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const [built, unpacked] = await Promise.all([exitOf(builder), exitOf(unpack)]);
    if (options.signal?.aborted)
      throw new SandboxImageError('build-failed', 'the userland build was cancelled');
    if (built !== 0) throw buildFailure(progress.failure(), built);
    if (unpacked !== 0)
      throw new SandboxImageError(
        'build-failed',
        `unpacking the userland failed (tar exit ${unpacked}): ${tarError.trim()}`,
      );
    progress.finish();
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
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

function exitOf(child: ReturnType<typeof spawn>): Promise<number | string> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'killed'));
  });
}

/**
 * Runs the tree's node on the tree's own dynamic loader and libraries (no sandbox tool needed): a host node
 * built against a newer C library than the suite's fails here, with its own message, instead of in every sandbox.
 */
async function verifyNode(tree: string, env: Record<string, string>): Promise<void> {
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
  const child = spawn(loader, ['--library-path', libraryPath, path.join(tree, 'usr/bin/node'), '--version'], {
    env: { PATH: env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await exitOf(child);
  if (code !== 0 || !/^v\d+\./.test(output.trim())) {
    throw new SandboxImageError(
      'build-failed',
      `this machine's node does not run on the userland's C library: ${output.trim() || `exit ${code}`}`,
      {
        hint: 'use a node built for glibc 2.36 or older (the official Node.js builds are), or a newer suite',
      },
    );
  }
}
