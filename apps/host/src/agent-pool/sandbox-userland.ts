import type { PlannedMount } from '@nanoclaw/container-runner';
import { type ContainerRuntime, type GroupPackages, type Logger, NanoclawError } from '@nanoclaw/core';
import {
  type BuildProgress,
  createLayerSandbox,
  formatProgress,
  type GroupUserland,
  isSandboxImageError,
  type SandboxImages,
} from '@nanoclaw/sandbox-image';
import { type DockerCli, ensureRunnerImageOnUserland, ensureUserlandImage } from './userland-images.js';

/** What a user whose agent could not start because the userland build failed is told to do next. */
export const USERLAND_BUILD_NEXT_STEP = 'run `nanoclaw sandbox image build` to see the full output';

/** Where a group's agent runs: a root tree (bwrap) or an image (docker), plus mounts a layer needs. */
export interface SandboxPlacement {
  rootfs?: string;
  image?: string;
  mounts: PlannedMount[];
}

export class UserlandError extends NanoclawError<'userland-failed'> {
  override readonly name = 'UserlandError';
  /** The container.json key at fault, when it is the group's own. */
  constructor(
    message: string,
    readonly key?: string,
    options?: ErrorOptions,
  ) {
    super('userland-failed', message, options?.cause === undefined ? {} : { cause: options.cause });
  }
}

export interface UserlandPlannerOptions {
  runtime: ContainerRuntime;
  /** Undefined: agents run on the runtime's minimal tree (no shell). */
  images: SandboxImages | undefined;
  user: { uid: number; gid: number };
  /** Runs the download of npm packages as the sandbox user when the host is root. */
  hostIsRoot: boolean;
  runnerDist: () => Promise<string>;
  docker?: DockerCli;
  logger: Logger;
  /** Where build progress goes (default: the log, one info line per step). */
  onProgress?: (folder: string, progress: BuildProgress) => void;
}

/**
 * Decides, per group, what its sandbox runs on: the agent userland (built once, cached) with the group's own
 * packages as a cached variant and npm layer — as a root tree for bwrap, as a runner image on top of the
 * imported userland for docker. Without a way to build the userland (no mmdebstrap, nothing cached) agents still
 * run, on the runtime's minimal tree, and the host says loudly that they have no shell.
 */
export class UserlandPlanner {
  private warnedNoShell = false;

  constructor(private readonly options: UserlandPlannerOptions) {}

  /** Whether this runtime uses the userland at all (bwrap and docker do; process runs on the host). */
  get applies(): boolean {
    return this.options.runtime.name === 'bwrap' || this.options.runtime.name === 'docker';
  }

  /**
   * The group's userland, built (with progress in the log) when it is not in the cache yet, or again with
   * `refresh`.
   */
  async groupUserland(
    folder: string,
    packages: GroupPackages,
    options: { refresh?: boolean } = {},
  ): Promise<GroupUserland | undefined> {
    const { images, logger } = this.options;
    if (!images || !this.applies) return undefined;
    const wanted = packages.apt.length + packages.npm.length > 0;
    const builder = (await images.findBase()) ? undefined : await images.builder();
    if (builder && !builder.ok) {
      if (wanted) {
        throw new UserlandError(
          `groups/${folder}.container.json "packages" needs the agent userland, and it cannot be built here: ${builder.reason} (${builder.hint})`,
          'packages',
        );
      }
      this.warnNoShell(`${builder.reason}; fix: ${builder.hint}`);
      return undefined;
    }
    const { onProgress } = this.options;
    const progress = onProgress
      ? (event: BuildProgress) => onProgress(folder, event)
      : (event: BuildProgress) =>
          logger.info(
            { group: folder, phase: event.phase },
            `building the agent userland: ${formatProgress(event)}`,
          );
    try {
      return await images.ensureGroup(packages, {
        onProgress: progress,
        ...(options.refresh ? { refresh: true } : {}),
        sandbox: createLayerSandbox({
          runtime: this.options.runtime,
          user: this.options.user,
          imageFor: (userland) => ensureUserlandImage(this.requireDocker(), userland, logger),
        }),
        ...(this.options.hostIsRoot ? { fetchAs: this.options.user } : {}),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isSandboxImageError(error, 'invalid-packages')) {
        throw new UserlandError(`groups/${folder}.container.json "packages": ${message}`, 'packages', {
          cause: error,
        });
      }
      const hint = isSandboxImageError(error) && error.hint ? `\nfix: ${error.hint}` : '';
      throw new UserlandError(
        `the agent userland for ${folder} could not be built: ${message}${hint}\n${USERLAND_BUILD_NEXT_STEP}`,
        undefined,
        { cause: error },
      );
    }
  }

  /** bwrap: the tree and the npm layer mount; docker: the runner image built on the userland. */
  async placement(userland: GroupUserland): Promise<SandboxPlacement> {
    if (this.options.runtime.name === 'docker') {
      const image = await ensureRunnerImageOnUserland({
        cli: this.requireDocker(),
        userland,
        runnerDist: await this.options.runnerDist(),
        user: this.options.user,
        logger: this.options.logger,
      });
      return { image, mounts: [] };
    }
    const mounts: PlannedMount[] = userland.npmLayer
      ? [
          {
            kind: 'host',
            hostPath: userland.npmLayer.tree,
            containerPath: '/usr/local',
            readonly: true,
            within: userland.npmLayer.tree,
          },
        ]
      : [];
    return { rootfs: userland.userland.tree, mounts };
  }

  private requireDocker(): DockerCli {
    if (!this.options.docker) throw new Error('a docker CLI is needed to import the agent userland');
    return this.options.docker;
  }

  private warnNoShell(reason: string): void {
    if (this.warnedNoShell) return;
    this.warnedNoShell = true;
    this.options.logger.warn(
      { reason },
      'AGENTS HAVE NO SHELL: the agent userland (bash, git, python3, ...) cannot be built on this machine, so agents can talk but not run commands',
    );
  }
}
