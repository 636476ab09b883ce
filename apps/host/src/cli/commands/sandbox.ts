import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  createDockerRuntime,
  createRuntime,
  type DockerRuntime,
  defaultSandboxUser,
  detectRuntime,
} from '@nanoclaw/container-runner';
import { type ContainerRuntime, errorMessage, type GroupPackages } from '@nanoclaw/core';
import {
  type BuildProgress,
  type CachedImage,
  formatProgress,
  isSandboxImageError,
  type SandboxImages,
  type SandboxImagesStatus,
} from '@nanoclaw/sandbox-image';
import type { Command } from 'commander';
import { defaultRunnerDist } from '../../agent-pool/runner-files.js';
import { digestRunnerBundle } from '../../agent-pool/runner-stage.js';
import { UserlandPlanner } from '../../agent-pool/sandbox-userland.js';
import {
  type DockerCli,
  dockerCliOf,
  pruneUserlandImages,
  runnerImageTag,
  userlandImageTag,
} from '../../agent-pool/userland-images.js';
import { formatConfigIssue, readGroupSettings } from '../../groups/container-config-file.js';
import { hostSandboxImages } from '../../host/default-pool.js';
import { createLogger } from '../../logger.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, type TextSink, writeLine, writeResult } from '../cli-io.js';
import { formatTable } from '../format.js';
import { registerLiveSandboxCommands } from './sandbox-live.js';

export interface SandboxDeps extends CliDeps {
  /** Default: the userlands as the configuration places them. */
  sandboxImages?: SandboxImages;
  /** Default: the configured runtime (auto-detected for `auto`). */
  runtime?: () => Promise<ContainerRuntime>;
  /** The docker engine whose userland images `prune` removes; default: docker, when it answers. */
  dockerCli?: () => Promise<DockerCli | undefined>;
}

/**
 * `nanoclaw sandbox list|kill` (the running host's sandboxes, see `sandbox-live.ts`) and
 * `nanoclaw sandbox image build|status|prune`: the agent userland (bash, git, python3, … built offline with
 * mmdebstrap) that bwrap and docker sandboxes run on, and each group's package variant. Works without a host.
 */
export function registerSandboxCommand(program: Command, deps: SandboxDeps, context: CliContext): void {
  const sandbox = program.command('sandbox').description('the sandboxes agents run in');
  registerLiveSandboxCommands(sandbox, deps, context);
  const image = sandbox
    .command('image')
    .description('the agent userland: a Debian root file system, built once');
  const images = () => deps.sandboxImages ?? hostSandboxImages(context.config());

  image
    .command('build')
    .description(
      'build the agent userland and every group\'s "packages" now (the host otherwise does it on first use)',
    )
    .option('--group <folder>', 'only this group (besides the base)')
    .option('--refresh', 'build again even what is built (security updates), replacing it')
    .action(
      action(deps, context, async (options: { group?: string; refresh?: boolean }) => {
        await buildAll(images(), deps, context, options);
        return 0;
      }),
    );

  image
    .command('status')
    .description('what is built: digest, size, when, and whether this machine can build it')
    .option('--json', 'print the status as JSON')
    .action(
      action(deps, context, async (options: { json?: boolean }) => {
        const status = await images().status();
        writeResult(context.stdout, options.json, status, formatImageStatus);
        return 0;
      }),
    );

  image
    .command('prune')
    .description(
      'remove the userlands, package layers and docker images no current group uses, and what failed builds left',
    )
    .action(
      action(deps, context, async () => {
        await prune(images(), deps, context);
        return 0;
      }),
    );
}

async function buildAll(
  images: SandboxImages,
  deps: SandboxDeps,
  context: CliContext,
  options: { group?: string; refresh?: boolean },
): Promise<void> {
  const refresh = options.refresh === true;
  const progress = progressPrinter(
    context.stderr,
    process.stderr.isTTY === true && context.stderr === process.stderr,
  );
  const started = Date.now();
  let base: CachedImage;
  try {
    base = await images.ensureBase({ onProgress: progress.update, refresh });
  } catch (error) {
    progress.done();
    if (isSandboxImageError(error) && error.hint) throw new CliError(`${error.message}\nfix: ${error.hint}`);
    throw error;
  }
  progress.done();
  const fresh = Date.parse(base.manifest.builtAt) >= started;
  writeLine(context.stdout, `base userland ${describeImage(base)}${fresh ? '' : ' (already built)'}`);
  const groups = await groupsWithPackages(context.config().NANOCLAW_GROUPS_DIR, options.group);
  const runtime = await buildRuntime(deps, context, groups.length > 0);
  if (runtime) {
    const planner = plannerFor(images, runtime, context, progress.update);
    if (runtime.name === 'docker') await readyDockerImage(planner, runtime, context);
    for (const group of groups) await buildGroup(planner, group, context, { refresh, progress });
  }
  if (refresh)
    writeLine(
      context.stdout,
      'the trees and images they replace stay until `nanoclaw sandbox image prune` (sandboxes running now may still use them)',
    );
}

async function buildGroup(
  planner: UserlandPlanner,
  { folder, packages }: { folder: string; packages: GroupPackages },
  context: CliContext,
  options: { refresh: boolean; progress: { done(): void } },
): Promise<void> {
  writeLine(
    context.stderr,
    `group ${folder}: ${[...packages.apt, ...packages.npm.map((p) => `npm:${p}`)].join(' ') || 'no packages'}`,
  );
  const userland = await planner
    .groupUserland(folder, packages, { refresh: options.refresh })
    .finally(() => options.progress.done());
  if (!userland) return;
  const placement = await planner.placement(userland);
  const where = placement.image ? `, image ${placement.image}` : '';
  writeLine(
    context.stdout,
    `group ${folder}: ${describeImage(userland.userland)}${userland.npmLayer ? ` + npm ${describeImage(userland.npmLayer)}` : ''}${where}`,
  );
}

/**
 * docker: the base userland imported into the engine and the runner image built on it, as the host's first
 * sandbox would need them; done here, the first message (and each test suite sharing the engine) does not wait
 * for a gigabyte to be imported. Best effort: what stops it is said, and the first sandbox does it instead.
 */
async function readyDockerImage(
  planner: UserlandPlanner,
  runtime: ContainerRuntime,
  context: CliContext,
): Promise<void> {
  const skipped = (why: string) =>
    writeLine(
      context.stderr,
      `note: the docker image was not prepared: ${why}; the first sandbox prepares it`,
    );
  const engine = await runtime.available();
  if (!engine.ok) return skipped(`${engine.reason} (${engine.hint})`);
  if (!existsSync(path.join(runnerDistOf(context), 'main.js')))
    return skipped('the agent runner is not built (pnpm build)');
  const userland = await planner.groupUserland('base', { apt: [], npm: [] });
  if (!userland) return;
  writeLine(
    context.stderr,
    'preparing the docker image (the first time: importing the userland, about a minute)',
  );
  const started = Date.now();
  try {
    const { image } = await planner.placement(userland);
    const took = Math.round((Date.now() - started) / 100) / 10;
    writeLine(context.stdout, `docker image ${image} ready (${took} s)`);
  } catch (error) {
    skipped(errorMessage(error));
  }
}

function plannerFor(
  images: SandboxImages,
  runtime: ContainerRuntime,
  context: CliContext,
  onProgress: (event: BuildProgress) => void,
): UserlandPlanner {
  return new UserlandPlanner({
    runtime,
    images,
    user: defaultSandboxUser(),
    hostIsRoot: process.getuid?.() === 0,
    runnerDist: async () => runnerDistOf(context),
    ...(runtime.name === 'docker' ? { docker: dockerCliOf(runtime as DockerRuntime) } : {}),
    logger: createLogger({ level: 'warn', format: 'pretty', destination: process.stderr }),
    onProgress: (_folder, event) => onProgress(event),
  });
}

/**
 * Removes from the cache what neither the base nor any group's `packages` uses (and what refreshes replaced and
 * failed builds left), then our docker images (`nanoclaw/userland:*`, `nanoclaw/agent-runner:u-*`) that no
 * current userland uses; prints each and the total.
 */
async function prune(images: SandboxImages, deps: SandboxDeps, context: CliContext): Promise<void> {
  const groups = (await groupsWithPackages(context.config().NANOCLAW_GROUPS_DIR)).map((g) => g.packages);
  const cache = await images.prune(groups);
  for (const entry of cache.removed)
    writeLine(context.stdout, `removed ${entry.path} (${megabytes(entry.bytes)})`);
  const cli = await (deps.dockerCli ?? defaultDockerCli)();
  let dockerLine = 'docker: no engine answered, its images were left alone';
  if (cli) {
    const keep = await currentImageTags(images, groups, context);
    const result = await pruneUserlandImages(cli, keep.tags, {
      cacheDir: images.cache.dir,
      runnerImages: keep.runnerKnown,
    });
    for (const entry of result.removed)
      writeLine(context.stdout, `removed docker image ${entry.image} (${entry.size})`);
    for (const entry of result.kept)
      writeLine(context.stdout, `kept docker image ${entry.image}: ${entry.reason.split('\n')[0]}`);
    dockerLine = `${result.removed.length} docker image${result.removed.length === 1 ? '' : 's'} removed`;
    if (!keep.runnerKnown) dockerLine += ' (runner images left alone: the agent-runner bundle is not built)';
  }
  writeLine(context.stdout, `freed ${megabytes(cache.bytes)} in ${images.cache.dir}; ${dockerLine}`);
}

/** The docker tags the current userlands run as: their imported images and the runner images on them. */
async function currentImageTags(
  images: SandboxImages,
  groups: readonly GroupPackages[],
  context: CliContext,
): Promise<{ tags: Set<string>; runnerKnown: boolean }> {
  const dist = runnerDistOf(context);
  const runnerDigest = existsSync(path.join(dist, 'main.js')) ? await digestRunnerBundle(dist) : undefined;
  const tags = new Set<string>();
  for (const packages of [{ apt: [], npm: [] }, ...groups]) {
    const userland = await images.findGroup(packages);
    if (!userland) continue;
    const base = userlandImageTag(userland.userland);
    tags.add(base);
    if (runnerDigest) tags.add(runnerImageTag(base, userland, runnerDigest, defaultSandboxUser()));
  }
  return { tags, runnerKnown: runnerDigest !== undefined };
}

async function defaultDockerCli(): Promise<DockerCli | undefined> {
  const docker = createDockerRuntime();
  return (await docker.available()).ok ? dockerCliOf(docker) : undefined;
}

function runnerDistOf(context: CliContext): string {
  return defaultRunnerDist(path.dirname(context.config().NANOCLAW_GROUPS_DIR));
}

/** Groups whose container.json asks for packages (or the one named), with what they ask for. */
async function groupsWithPackages(
  groupsDir: string,
  only?: string,
): Promise<Array<{ folder: string; packages: GroupPackages }>> {
  const folders = only
    ? [only]
    : (await fs.readdir(groupsDir, { withFileTypes: true }).catch(() => []))
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
  const found: Array<{ folder: string; packages: GroupPackages }> = [];
  for (const folder of folders.sort()) {
    const result = await readGroupSettings(groupsDir, folder);
    if (result.error) throw new CliError(formatConfigIssue(result.error));
    const packages = result.config?.packages;
    if (packages && packages.apt.length + packages.npm.length > 0) found.push({ folder, packages });
    else if (only) found.push({ folder, packages: { apt: [], npm: [] } });
  }
  return found;
}

/**
 * The runtime the host would run agents in. `process` has no userland, and neither has a machine where no
 * runtime answers: refused when groups ask for packages, otherwise undefined (the base tree is all there is).
 */
async function buildRuntime(
  deps: SandboxDeps,
  context: CliContext,
  required: boolean,
): Promise<ContainerRuntime | undefined> {
  const choice = context.config().NANOCLAW_RUNTIME;
  let runtime: ContainerRuntime | undefined;
  try {
    if (deps.runtime) runtime = await deps.runtime();
    else if (choice === 'auto') runtime = (await detectRuntime()).runtime;
    else if (choice !== 'process') runtime = await createRuntime(choice);
  } catch (error) {
    if (required) throw error;
    writeLine(context.stderr, `note: no sandbox runtime here to prepare: ${errorMessage(error)}`);
    return undefined;
  }
  if (runtime && runtime.name !== 'process') return runtime;
  if (required)
    throw new CliError('the process runtime runs agents on the host: it has no userland to build');
  return undefined;
}

/** One line per phase; on a terminal the counted lines overwrite each other. */
function progressPrinter(sink: TextSink, tty: boolean) {
  let open = false;
  return {
    update: (event: BuildProgress) => {
      const line = formatProgress(event);
      if (tty) {
        sink.write(`\r\x1b[2K${line}`);
        open = true;
      } else if (event.done === undefined || event.done === event.total) writeLine(sink, line);
    },
    done: () => {
      if (open) sink.write('\n');
      open = false;
    },
  };
}

function describeImage(image: CachedImage): string {
  const { manifest } = image;
  const extras = manifest.kind === 'userland' ? (manifest.extraPackages ?? []) : manifest.packages;
  return `${manifest.digest.slice(0, 12)} (${extras.length > 0 ? `${extras.join(' ')}, ` : ''}${megabytes(manifest.sizeBytes)}, built ${manifest.builtAt} in ${Math.round(manifest.buildMs / 1000)} s) at ${image.tree}`;
}

export function formatImageStatus(status: SandboxImagesStatus): string {
  const base = status.base.built
    ? `✓ built ${status.base.built.manifest.builtAt}, ${megabytes(status.base.built.manifest.sizeBytes)}, in ${Math.round(status.base.built.manifest.buildMs / 1000)} s`
    : '✗ not built yet (the host builds it on first use, or: nanoclaw sandbox image build)';
  const builder = status.builder.ok
    ? `✓ ${status.builder.detail}`
    : `✗ ${status.builder.reason} (fix: ${status.builder.hint})`;
  const rows = status.cached.map((image) => [
    image.manifest.kind,
    image.manifest.digest.slice(0, 12),
    image.manifest.kind === 'userland'
      ? (image.manifest.extraPackages ?? []).join(' ') || '(base)'
      : image.manifest.packages.join(' '),
    megabytes(image.manifest.sizeBytes),
    image.manifest.builtAt,
  ]);
  return [
    `agent userland: Debian ${status.base.suite}, ${status.base.packages} packages, node ${status.base.node}`,
    `  base ${status.base.digest.slice(0, 12)}: ${base}`,
    `  builder: ${builder}`,
    `  cache: ${status.cacheDir}`,
    ...(rows.length > 0 ? ['', formatTable(['KIND', 'DIGEST', 'PACKAGES', 'SIZE', 'BUILT'], rows)] : []),
  ].join('\n');
}

function megabytes(bytes: number): string {
  return bytes < 10e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e6)} MB`;
}
