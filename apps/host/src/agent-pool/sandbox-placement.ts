import type { DockerRuntime, SandboxOwner } from '@nanoclaw/container-runner';
import type { ContainerConfig, ContainerRuntime, Logger } from '@nanoclaw/core';
import { createSandboxImages } from '@nanoclaw/sandbox-image';
import { AgentPoolError } from './agent-pool-error.js';
import type { AgentPoolOptions } from './agent-pool-options.js';
import {
  DEFAULT_RUNNER_IMAGE,
  defaultScratchImageScript,
  ensureRunnerImage,
  isUserBuiltImage,
} from './runner-files.js';
import { type SandboxPlacement, UserlandError, UserlandPlanner } from './sandbox-userland.js';
import { dockerCliOf, USERLAND_RUNNER_TITLE } from './userland-images.js';

export interface PlacementContext {
  options: AgentPoolOptions;
  runtime: ContainerRuntime;
  projectRoot: string;
  runnerDist: string;
  user: SandboxOwner;
  hostIsRoot: boolean;
  logger: Logger;
}

/**
 * What a group's sandbox runs on: the agent userland (a tree for bwrap, an image for docker, with the group's
 * packages), the user's own runner image, or the runtime's minimal fallback. Builds what is missing once.
 */
export class SandboxPlacer {
  readonly #context: PlacementContext;
  readonly #planner: UserlandPlanner;
  readonly #usesImage: boolean;
  #imageReady: Promise<unknown> | undefined;
  #ownImage: Promise<string | undefined> | undefined;
  #warnedProcessPackages = false;

  constructor(context: PlacementContext) {
    this.#context = context;
    const { options, runtime, logger } = context;
    this.#usesImage = runtime.name === 'docker' || runtime.name === 'apple';
    this.#planner = new UserlandPlanner({
      runtime,
      images:
        options.userland === false
          ? undefined
          : (options.userland ?? createSandboxImages({ logger: logger.child({ component: 'userland' }) })),
      user: context.user,
      hostIsRoot: context.hostIsRoot,
      runnerDist: async () => context.runnerDist,
      ...(runtime.name === 'docker'
        ? { docker: dockerCliOf(runtime as DockerRuntime, this.#dockerCli().env) }
        : {}),
      logger,
    });
  }

  /** What the group's sandbox runs on: the userland (tree or image, with its packages), else the fallback. */
  async place(folder: string, config: ContainerConfig): Promise<SandboxPlacement> {
    const wanted = config.packages.apt.length + config.packages.npm.length > 0;
    if (this.#usesImage) {
      const own = await this.#usersImage();
      if (own && wanted) {
        throw new AgentPoolError(
          'invalid-packages',
          `groups/${folder}.container.json "packages" are built on the image the host makes; ${own} is your own: install them in it`,
        );
      }
      if (own) {
        // A missing image named in the options is built as the registry-free scratch image, as before.
        if (this.#context.options.image) await this.#ensureImage();
        return { image: own, mounts: [] };
      }
    }
    this.#warnProcessPackages(folder, wanted);
    const userland = await this.#groupUserland(folder, config);
    if (userland) return userland;
    if (this.#context.runtime.name === 'docker') await this.#ensureImage();
    return { ...(this.#usesImage ? { image: this.#image() } : {}), mounts: [] };
  }

  async #groupUserland(folder: string, config: ContainerConfig): Promise<SandboxPlacement | undefined> {
    try {
      const userland = await this.#planner.groupUserland(folder, config.packages);
      return userland ? await this.#planner.placement(userland) : undefined;
    } catch (error) {
      if (!(error instanceof UserlandError)) throw error;
      throw new AgentPoolError(error.key ? 'invalid-packages' : 'userland-failed', error.message, {
        cause: error,
      });
    }
  }

  #warnProcessPackages(folder: string, wanted: boolean): void {
    if (this.#context.runtime.name !== 'process' || !wanted || this.#warnedProcessPackages) return;
    this.#warnedProcessPackages = true;
    this.#context.logger.warn(
      { group: folder },
      'the process runtime runs agents on the host: the group\'s "packages" are not installed',
    );
  }

  #image(): string {
    return this.#context.options.image ?? DEFAULT_RUNNER_IMAGE;
  }

  /** The docker CLI as the runtime runs it (same engine), unless the options name the env. */
  #dockerCli() {
    const docker = this.#context.runtime as Partial<Pick<DockerRuntime, 'binary' | 'clientEnv'>>;
    return {
      binary: docker.binary ?? 'docker',
      env: this.#context.options.dockerEnv ?? docker.clientEnv ?? process.env,
    };
  }

  /** docker: an image the user built themselves (or named in `options.image`) is used as it is. */
  #usersImage(): Promise<string | undefined> {
    const { options, runtime } = this.#context;
    if (options.image) return Promise.resolve(options.image);
    if (runtime.name !== 'docker') return Promise.resolve(undefined);
    this.#ownImage ??= isUserBuiltImage(runtime, DEFAULT_RUNNER_IMAGE, this.#dockerCli().env, [
      USERLAND_RUNNER_TITLE,
    ]).then(
      (userBuilt) => (userBuilt ? DEFAULT_RUNNER_IMAGE : undefined),
      (error: unknown) => {
        // The engine did not answer: ask again next time instead of failing every sandbox from now on.
        this.#ownImage = undefined;
        throw error;
      },
    );
    return this.#ownImage;
  }

  #ensureImage(): Promise<unknown> {
    const { options, runtime, projectRoot, runnerDist, user, logger } = this.#context;
    if (runtime.name !== 'docker' || options.buildMissingImage === false) return Promise.resolve();
    this.#imageReady ??= ensureRunnerImage({
      runtime,
      image: this.#image(),
      runnerDist,
      script: options.scratchImageScript ?? defaultScratchImageScript(projectRoot),
      dockerEnv: this.#dockerCli().env,
      uid: user.uid,
      logger,
    }).catch((error: unknown) => {
      this.#imageReady = undefined;
      throw error;
    });
    return this.#imageReady;
  }
}
