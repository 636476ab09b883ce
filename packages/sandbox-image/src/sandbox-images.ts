import path from 'node:path';
import { findHostBinary } from '@nanoclaw/container-runner';
import type { GroupPackages, Logger } from '@nanoclaw/core';
import { resolveAptSource } from './apt-sources.js';
import { BUILD_ACCOUNT_NAME } from './build-account.js';
import { BuildMemo } from './build-memo.js';
import type { ProgressListener } from './build-progress.js';
import { buildUserland, MMDEBSTRAP_INSTALL_HINT } from './build-userland.js';
import { isSandboxImageError, SandboxImageError } from './errors.js';
import { PROXY_ENV_KEYS, pickEnv } from './host-env.js';
import { type CachedImage, defaultImageCacheDir, ImageCache } from './image-cache.js';
import { hostNodeRuntime } from './node-runtime.js';
import { buildNpmLayer, type LayerSandbox, npmLayerDigest } from './npm-layer.js';
import { type NodeRuntime, type UserlandRecipe, userlandDigest, userlandRecipe } from './recipe.js';

export interface SandboxImagesOptions {
  /** Default `defaultImageCacheDir()`: /var/cache/nanoclaw/userland as root, else ~/.cache/nanoclaw/userland. */
  cacheDir?: string;
  /** Debian suite (default bookworm). */
  suite?: string;
  /** A Debian mirror URL instead of the machine's configured one. */
  mirror?: string;
  /** The node to carry (default this process's). */
  node?: NodeRuntime;
  /** PATH, proxies and npm settings for the builds (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** How long a failed build answers further requests with its error before it is tried again (default 60 s). */
  failureMemoryMs?: number;
}

/** A group's userland: a root tree (the base, or the base plus its apt packages) and its npm layer, if any. */
export interface GroupUserland {
  userland: CachedImage;
  npmLayer?: CachedImage;
}

export interface BuildStepOptions {
  onProgress?: ProgressListener;
  /** Build again even what the cache holds, replacing it (`nanoclaw sandbox image build --refresh`). */
  refresh?: boolean;
}

/** What `prune` removed: each path and its size. */
export interface PruneResult {
  removed: Array<{ path: string; bytes: number }>;
  bytes: number;
}

export interface GroupBuildOptions extends BuildStepOptions {
  /** Needed when the group has npm packages: where their install scripts run. */
  sandbox?: LayerSandbox;
  /** The download's uid/gid (the sandbox user when the host is root). */
  fetchAs?: { uid: number; gid: number };
}

export type BuilderAvailability = { ok: true; detail: string } | { ok: false; reason: string; hint: string };

export interface SandboxImagesStatus {
  cacheDir: string;
  builder: BuilderAvailability;
  /** The base userland this machine's recipe asks for (digest), and whether it is built. */
  base: { digest: string; suite: string; packages: number; node: string; built?: CachedImage };
  /** Everything in the cache, newest first. */
  cached: CachedImage[];
}

/**
 * The agent userlands of one host: the base (built once from the recipe: suite, package list, node) and the
 * per-group variants, all cached by digest. Concurrent requests for the same tree share one build.
 */
export class SandboxImages {
  readonly cache: ImageCache;
  private readonly builds: BuildMemo<CachedImage>;
  private readonly refreshed = new Set<string>();
  private node: NodeRuntime | undefined;

  constructor(private readonly options: SandboxImagesOptions = {}) {
    this.cache = new ImageCache(options.cacheDir ?? defaultImageCacheDir(options.env));
    this.builds = new BuildMemo({
      failureMs: options.failureMemoryMs ?? 60_000,
      forever: (error) => isSandboxImageError(error, 'invalid-packages'),
    });
  }

  /** The recipe of the base userland, or of a variant with `extraPackages`. */
  recipe(extraPackages: readonly string[] = []): UserlandRecipe {
    this.node ??= this.options.node ?? hostNodeRuntime();
    return userlandRecipe({
      node: this.node,
      extraPackages,
      ...(this.options.suite ? { suite: this.options.suite } : {}),
    });
  }

  /**
   * Whether userlands can be built here: mmdebstrap on PATH, and as root what building as the unprivileged
   * build account needs (newuidmap, newgidmap, setpriv).
   */
  async builder(): Promise<BuilderAvailability> {
    const hostPath = `${(this.options.env ?? process.env).PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin`;
    const found = await findHostBinary('mmdebstrap', hostPath);
    if (!found) return { ok: false, reason: 'mmdebstrap is not installed', hint: MMDEBSTRAP_INSTALL_HINT };
    if (process.getuid?.() !== 0) return { ok: true, detail: `mmdebstrap at ${found}` };
    const tools = ['newuidmap', 'newgidmap', 'setpriv'];
    const present = await Promise.all(tools.map((tool) => findHostBinary(tool, hostPath)));
    const missing = tools.filter((_, i) => !present[i]);
    if (missing.length > 0) {
      return {
        ok: false,
        reason: `${missing.join(', ')} missing: a root host builds as the unprivileged account ${BUILD_ACCOUNT_NAME}, which needs them`,
        hint: MMDEBSTRAP_INSTALL_HINT,
      };
    }
    return {
      ok: true,
      detail: `mmdebstrap at ${found}, run as the unprivileged account ${BUILD_ACCOUNT_NAME}`,
    };
  }

  /** The base userland, built once (about a minute) and then found in the cache. */
  ensureBase(options: BuildStepOptions = {}): Promise<CachedImage> {
    return this.ensureUserland(this.recipe(), options);
  }

  /** The base userland if it is already built (never builds). */
  async findBase(): Promise<CachedImage | undefined> {
    return this.cache.find('userland', userlandDigest(this.recipe()));
  }

  /** A group's userland as far as it is built (never builds): the variant, and its npm layer when built. */
  async findGroup(packages: GroupPackages): Promise<GroupUserland | undefined> {
    const userland = await this.cache.find('userland', userlandDigest(this.recipe(packages.apt)));
    if (!userland || packages.npm.length === 0) return userland ? { userland } : undefined;
    const npmLayer = await this.cache.find(
      'npm-layer',
      npmLayerDigest(userland.manifest.digest, packages.npm),
    );
    return npmLayer ? { userland, npmLayer } : { userland };
  }

  /** A group's userland: the base plus its apt packages (a cached variant), and its npm packages as a layer. */
  async ensureGroup(packages: GroupPackages, options: GroupBuildOptions = {}): Promise<GroupUserland> {
    const userland = await this.ensureUserland(this.recipe(packages.apt), options);
    if (packages.npm.length === 0) return { userland };
    const node = this.recipe().node;
    if (!node.npm) {
      throw new SandboxImageError(
        'build-failed',
        `npm packages need npm beside node (${node.path}); none was found`,
      );
    }
    if (!options.sandbox)
      throw new SandboxImageError('build-failed', 'npm packages need a sandbox to run install scripts in');
    const key = `npm:${userland.manifest.digest}:${[...packages.npm].sort().join(',')}`;
    const refresh = this.refreshOnce(key, options.refresh);
    const npmLayer = await this.builds.run(`${refresh ? 'refresh:' : ''}${key}`, () =>
      buildNpmLayer({
        refresh,
        cache: this.cache,
        userland,
        packages: packages.npm,
        sandbox: options.sandbox as LayerSandbox,
        npm: {
          node: node.path,
          cli: path.join(node.npm?.dir ?? '', 'bin', 'npm-cli.js'),
          version: node.npm?.version ?? '',
        },
        ...(options.fetchAs ? { fetchAs: options.fetchAs } : {}),
        npmConfig: npmConfigEnv(this.options.env ?? process.env),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      }),
    );
    return { userland, npmLayer };
  }

  /** The full digests of what the base and these groups run on (built or not): what `prune` keeps. */
  currentDigests(groups: readonly GroupPackages[]): Set<string> {
    const base = userlandDigest(this.recipe());
    const keep = new Set([base]);
    for (const packages of groups) {
      const userland = userlandDigest(this.recipe(packages.apt));
      keep.add(userland);
      if (packages.npm.length > 0) keep.add(npmLayerDigest(userland, packages.npm));
    }
    return keep;
  }

  /**
   * Removes from the cache every tree that neither the base nor any of `groups` uses, the trees refreshes
   * replaced, staging folders of builds that died, and dead locks.
   */
  async prune(groups: readonly GroupPackages[]): Promise<PruneResult> {
    const removed = await this.cache.prune(this.currentDigests(groups));
    return { removed, bytes: removed.reduce((sum, entry) => sum + entry.bytes, 0) };
  }

  async status(): Promise<SandboxImagesStatus> {
    const recipe = this.recipe();
    const digest = userlandDigest(recipe);
    const built = await this.cache.find('userland', digest);
    return {
      cacheDir: this.cache.dir,
      builder: await this.builder(),
      base: {
        digest,
        suite: recipe.suite,
        packages: recipe.packages.length,
        node: recipe.node.version,
        ...(built ? { built } : {}),
      },
      cached: await this.cache.list(),
    };
  }

  private ensureUserland(recipe: UserlandRecipe, options: BuildStepOptions): Promise<CachedImage> {
    const key = `userland:${userlandDigest(recipe)}`;
    const refresh = this.refreshOnce(key, options.refresh);
    return this.builds.run(`${refresh ? 'refresh:' : ''}${key}`, async () => {
      const source = await resolveAptSource(recipe.suite, this.options.mirror);
      return buildUserland(recipe, {
        cache: this.cache,
        source,
        ...(refresh ? { refresh: true } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
        ...(this.options.env ? { env: this.options.env } : {}),
      });
    });
  }

  /**
   * Whether a refresh asked for `key` is still to be done: each tree is rebuilt once per refresh however many
   * groups share it (the base, a variant two groups ask for).
   */
  private refreshOnce(key: string, wanted: boolean | undefined): boolean {
    if (!wanted || this.refreshed.has(key)) return false;
    this.refreshed.add(key);
    return true;
  }
}

/** One-line factory. */
export function createSandboxImages(options: SandboxImagesOptions = {}): SandboxImages {
  return new SandboxImages(options);
}

/** npm settings a download needs from the host user's environment: registry, CA files, proxies. */
function npmConfigEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  // The host's trust settings (custom CAs) and proxies, as node and npm read them from the environment.
  const out = pickEnv(env, ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', ...PROXY_ENV_KEYS]);
  for (const [key, value] of Object.entries(env)) {
    const lower = key.toLowerCase();
    if (
      value &&
      /^npm_config_(registry|cafile|ca|strict_ssl|proxy|https_proxy|noproxy|fetch_retries)$/.test(lower)
    )
      out[lower] = value;
  }
  return out;
}
