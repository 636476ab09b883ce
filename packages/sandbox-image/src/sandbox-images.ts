import path from 'node:path';
import { findHostBinary } from '@nanoclaw/container-runner';
import type { Logger } from '@nanoclaw/core';
import { resolveAptSource } from './apt-sources.js';
import type { ProgressListener } from './build-progress.js';
import { buildUserland, MMDEBSTRAP_INSTALL_HINT } from './build-userland.js';
import { isSandboxImageError, SandboxImageError } from './errors.js';
import { PROXY_ENV_KEYS, pickEnv } from './host-env.js';
import { type CachedImage, defaultImageCacheDir, ImageCache } from './image-cache.js';
import { hostNodeRuntime } from './node-runtime.js';
import { buildNpmLayer, type LayerSandbox } from './npm-layer.js';
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
}

/** The packages a group asks for in `container.json`. */
export interface GroupPackages {
  apt: readonly string[];
  npm: readonly string[];
}

/** A group's userland: a root tree (the base, or the base plus its apt packages) and its npm layer, if any. */
export interface GroupUserland {
  userland: CachedImage;
  npmLayer?: CachedImage;
}

export interface BuildStepOptions {
  onProgress?: ProgressListener;
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
  private readonly building = new Map<string, Promise<CachedImage>>();
  private node: NodeRuntime | undefined;

  constructor(private readonly options: SandboxImagesOptions = {}) {
    this.cache = new ImageCache(options.cacheDir ?? defaultImageCacheDir(options.env));
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

  /** Whether userlands can be built here (mmdebstrap on PATH). */
  async builder(): Promise<BuilderAvailability> {
    const found = await findHostBinary('mmdebstrap', (this.options.env ?? process.env).PATH);
    if (found) return { ok: true, detail: `mmdebstrap at ${found}` };
    return { ok: false, reason: 'mmdebstrap is not installed', hint: MMDEBSTRAP_INSTALL_HINT };
  }

  /** The base userland, built once (about a minute) and then found in the cache. */
  ensureBase(options: BuildStepOptions = {}): Promise<CachedImage> {
    return this.ensureUserland(this.recipe(), options);
  }

  /** The base userland if it is already built (never builds). */
  async findBase(): Promise<CachedImage | undefined> {
    return this.cache.find('userland', userlandDigest(this.recipe()));
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
    const npmLayer = await this.shared(
      `npm:${userland.manifest.digest}:${[...packages.npm].sort().join(',')}`,
      () =>
        buildNpmLayer({
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
    const digest = userlandDigest(recipe);
    return this.shared(`userland:${digest}`, async () => {
      const source = await resolveAptSource(recipe.suite, this.options.mirror);
      return buildUserland(recipe, {
        cache: this.cache,
        source,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
        ...(this.options.env ? { env: this.options.env } : {}),
      });
    });
  }

  /**
   * One build per key in this process. A failed build is forgotten so the next request tries again, except a
   * package that does not exist: that answer stands until the package list (and so the key) changes.
   */
  private shared(key: string, build: () => Promise<CachedImage>): Promise<CachedImage> {
    let pending = this.building.get(key);
    if (!pending) {
      pending = build().then(
        (built) => {
          this.building.delete(key);
          return built;
        },
        (error: unknown) => {
          if (!isSandboxImageError(error, 'invalid-packages')) this.building.delete(key);
          throw error;
        },
      );
      this.building.set(key, pending);
    }
    return pending;
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
