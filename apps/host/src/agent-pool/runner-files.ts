import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerClientEnv, runCommand } from '@nanoclaw/container-runner';
import type { ContainerRuntime, Logger } from '@nanoclaw/core';
import { digestRunnerBundle } from './runner-stage.js';

/** The image docker/apple sandboxes run when none is configured. */
export const DEFAULT_RUNNER_IMAGE = 'nanoclaw/agent-runner:local';

const RUNNER_DIST_REL = 'apps/agent-runner/dist';
const SCRATCH_SCRIPT_REL = 'docker/build-scratch-image.sh';

/**
 * `rel` under the first of `roots`, or under the checkout this module runs from (src/agent-pool/ in tests,
 * apps/host/dist/ when built), whichever exists first; undefined when none does.
 */
export function findInCheckout(rel: string, roots: readonly string[] = []): string | undefined {
  for (const root of roots) {
    const candidate = path.join(root, rel);
    if (existsSync(candidate)) return candidate;
  }
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, rel);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The built agent-runner bundle (`main.js`, `mcp-server.js`): this checkout's, else the project's. */
export function defaultRunnerDist(projectRoot: string): string {
  const main =
    findInCheckout(path.join(RUNNER_DIST_REL, 'main.js')) ??
    findInCheckout(path.join(RUNNER_DIST_REL, 'main.js'), [projectRoot]);
  return main ? path.dirname(main) : path.join(projectRoot, RUNNER_DIST_REL);
}

export function defaultScratchImageScript(projectRoot: string): string | undefined {
  return findInCheckout(SCRATCH_SCRIPT_REL, [projectRoot]);
}

type ImageRuntime = ContainerRuntime & { hasImage(image: string): Promise<boolean>; binary?: string };

function canCheckImages(runtime: ContainerRuntime): runtime is ImageRuntime {
  return typeof (runtime as Partial<ImageRuntime>).hasImage === 'function';
}

export interface EnsureRunnerImageOptions {
  runtime: ContainerRuntime;
  image: string;
  runnerDist: string;
  /** docker/build-scratch-image.sh; when missing, a missing image is an error saying how to build one. */
  script: string | undefined;
  /** The docker CLI's env (only DOCKER_*, HOME, PATH, XDG_* are read). */
  dockerEnv: Readonly<Record<string, string | undefined>>;
  uid: number;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * Makes sure a docker image with the runner exists locally: when it is missing (or is one it built from an older runner bundle), builds the registry-free one
 * (this machine's node + its libs + the runner bundle) with docker/build-scratch-image.sh. Nothing is pulled.
 * Runtimes that cannot list images (apple) are left alone: their spawn reports a missing image.
 */
export async function ensureRunnerImage(options: EnsureRunnerImageOptions): Promise<'present' | 'built'> {
  const { runtime, image, logger } = options;
  if (!canCheckImages(runtime)) return 'present';
  const digest = existsSync(options.runnerDist) ? await digestRunnerBundle(options.runnerDist) : undefined;
  if (await runtime.hasImage(image)) {
    // An image this host built (the scratch title) carries its bundle's digest: a rebuilt runner replaces it.
    // Images built any other way are the user's and are left alone.
    const labels = await imageLabels(runtime, image, options.dockerEnv);
    const ours = labels[SCRATCH_TITLE_LABEL] === SCRATCH_TITLE;
    if (!ours || !digest || labels[RUNNER_DIGEST_LABEL] === digest) return 'present';
    logger.info({ image }, 'the runner bundle changed since the sandbox image was built: rebuilding it');
  }
  if (!options.script) {
    throw new Error(
      `the sandbox image ${image} is missing and docker/build-scratch-image.sh was not found; build it with ` +
        `docker/build-scratch-image.sh -t ${image} apps/agent-runner/dist (or docker build -f docker/agent-runner.Dockerfile)`,
    );
  }
  if (!existsSync(path.join(options.runnerDist, 'main.js'))) {
    throw new Error(
      `the sandbox image ${image} is missing and cannot be built: ${options.runnerDist}/main.js is not built ` +
        '(run the build of @nanoclaw/agent-runner first)',
    );
  }
  const started = Date.now();
  logger.info(
    { image, runnerDist: options.runnerDist },
    'sandbox image missing: building the registry-free runner image with docker/build-scratch-image.sh (nothing is pulled)',
  );
  const args = [
    '-t',
    image,
    '--docker',
    runtime.binary ?? 'docker',
    '--node',
    process.execPath,
    '--uid',
    String(options.uid),
    ...(digest ? ['--label', `${RUNNER_DIGEST_LABEL}=${digest}`] : []),
    options.runnerDist,
  ];
  const result = await runCommand(options.script, args, {
    env: { ...dockerClientEnv(options.dockerEnv), ...tmpdirEnv(options.dockerEnv) },
    timeoutMs: options.timeoutMs ?? 300_000,
    keepLast: 16_000,
  });
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}${result.error?.message ?? ''}`;
    throw new Error(
      `building the sandbox image ${image} failed (${result.timedOut ? 'timed out' : `exit ${result.code}`}): ${output.trim().slice(-2_000)}`,
    );
  }
  logger.info({ image, ms: Date.now() - started }, 'sandbox image built');
  return 'built';
}

const RUNNER_DIGEST_LABEL = 'nanoclaw.runner-digest';
/** What docker/build-scratch-image.sh stamps on every image it builds. */
const SCRATCH_TITLE_LABEL = 'org.opencontainers.image.title';
const SCRATCH_TITLE = 'nanoclaw agent-runner (scratch)';

/**
 * Whether `image` exists and was built by the user (e.g. from docker/agent-runner.Dockerfile) rather than by this
 * host: such an image is used as it is.
 */
export async function isUserBuiltImage(
  runtime: ContainerRuntime,
  image: string,
  dockerEnv: Readonly<Record<string, string | undefined>>,
  ownTitles: readonly string[],
): Promise<boolean> {
  if (!canCheckImages(runtime) || !(await runtime.hasImage(image))) return false;
  const title = (await imageLabels(runtime, image, dockerEnv))[SCRATCH_TITLE_LABEL];
  return title !== SCRATCH_TITLE && !ownTitles.includes(title ?? '');
}

export async function imageLabels(
  runtime: ImageRuntime,
  image: string,
  dockerEnv: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string>> {
  const result = await runCommand(
    runtime.binary ?? 'docker',
    ['image', 'inspect', '--format', '{{json .Config.Labels}}', image],
    { env: dockerClientEnv(dockerEnv), timeoutMs: 30_000 },
  );
  if (result.code !== 0) return {};
  try {
    const labels = JSON.parse(result.stdout.trim()) as Record<string, string> | null;
    return labels ?? {};
  } catch {
    return {};
  }
}

function tmpdirEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return env.TMPDIR ? { TMPDIR: env.TMPDIR } : {};
}
