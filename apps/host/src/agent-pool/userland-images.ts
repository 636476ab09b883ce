import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type DockerRuntime,
  dockerClientEnv,
  runCommand,
  runPipeline,
  sandboxAccounts,
} from '@nanoclaw/container-runner';
import type { Logger } from '@nanoclaw/core';
import { type CachedImage, type GroupUserland, removeTree } from '@nanoclaw/sandbox-image';
import { digestRunnerBundle } from './runner-stage.js';

const USERLAND_REPOSITORY = 'nanoclaw/userland';
const RUNNER_REPOSITORY = 'nanoclaw/agent-runner';
/** The tags of runner images built on a userland (`nanoclaw/agent-runner:u-<key>`): ours to remove. */
const RUNNER_TAG_PREFIX = 'u-';

/**
 * The image a userland tree is imported as: its digest and when it was built, so a refreshed tree (same digest,
 * newer packages) is imported again instead of the old image being reused.
 */
export function userlandImageTag(userland: CachedImage): string {
  const built = userland.manifest.builtAt.replace(/\D/g, '').slice(0, 14);
  return `${USERLAND_REPOSITORY}:${userland.manifest.digest.slice(0, 16)}-${built}`;
}

/**
 * The label every image made from a userland carries (the runner images inherit it): the cache it came from, so
 * `prune` removes only the images of its own cache, never another install's on the same engine.
 */
export const USERLAND_CACHE_LABEL = 'nanoclaw.userland-cache';

/** What every runner image built on a userland carries, so the host knows it as its own. */
export const USERLAND_RUNNER_TITLE = 'nanoclaw agent-runner';

/** The docker engine the sandboxes run on, as the userland images need it. */
export interface DockerCli {
  binary: string;
  /** The CLI's env (only DOCKER_*, HOME, PATH, XDG_* are read). */
  env: Readonly<Record<string, string | undefined>>;
  hasImage(image: string): Promise<boolean>;
}

/** The CLI of a docker runtime (its own engine env unless `env` names another). */
export function dockerCliOf(
  runtime: DockerRuntime,
  env: Readonly<Record<string, string | undefined>> = runtime.clientEnv,
): DockerCli {
  return { binary: runtime.binary, env, hasImage: (image) => runtime.hasImage(image) };
}

/** Imports the userland tree as an image (`tar -c | docker import`) unless it is there already. */
export async function ensureUserlandImage(
  cli: DockerCli,
  userland: CachedImage,
  logger?: Logger,
): Promise<string> {
  const tag = userlandImageTag(userland);
  if (await cli.hasImage(tag)) return tag;
  const started = Date.now();
  const env = dockerClientEnv(cli.env);
  const [tar, load] = await runPipeline(
    {
      file: 'tar',
      args: ['-C', userland.tree, '--numeric-owner', '-c', '.'],
      options: { env, keepLast: 2_000 },
    },
    {
      file: cli.binary,
      args: [
        'import',
        '--change',
        `LABEL ${USERLAND_CACHE_LABEL}=${JSON.stringify(path.dirname(userland.dir))}`,
        '-',
        tag,
      ],
      options: { env, keepLast: 2_000 },
    },
  );
  if (tar.code !== 0 || load.code !== 0) {
    const output = `${load.stderr}${load.stdout}${load.error?.message ?? ''}` || tar.stderr;
    throw new Error(`importing the agent userland as ${tag} failed: ${output.trim()}`);
  }
  logger?.info({ image: tag, ms: Date.now() - started }, 'agent userland imported into docker');
  return tag;
}

export interface RunnerImageOptions {
  cli: DockerCli;
  /** The group's userland and npm layer. */
  userland: GroupUserland;
  runnerDist: string;
  user: { uid: number; gid: number };
  logger?: Logger;
}

/**
 * The tag of the runner image for a group's userland: keyed by what it is built from (the userland image, the
 * npm layer, the runner bundle, the uid), so a change of any of them builds a new one and nothing else does.
 */
export function runnerImageTag(
  userlandTag: string,
  userland: GroupUserland,
  runnerDigest: string,
  user: { uid: number; gid: number },
): string {
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        userlandTag,
        userland.npmLayer?.manifest.digest ?? null,
        runnerDigest,
        user.uid,
        user.gid,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  return `${RUNNER_REPOSITORY}:${RUNNER_TAG_PREFIX}${key}`;
}

/**
 * The runner image for a group's userland: `FROM` the imported userland, the npm layer at /usr/local, passwd and
 * group naming the sandbox uid (bash, /home/agent) and the runner bundle at /app (see `runnerImageTag`).
 */
export async function ensureRunnerImageOnUserland(options: RunnerImageOptions): Promise<string> {
  const { cli, userland, user } = options;
  const base = await ensureUserlandImage(cli, userland.userland, options.logger);
  const runnerDigest = await digestRunnerBundle(options.runnerDist);
  const tag = runnerImageTag(base, userland, runnerDigest, user);
  if (await cli.hasImage(tag)) return tag;
  const started = Date.now();
  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-runner-image-'));
  try {
    await fs.cp(options.runnerDist, path.join(context, 'app'), { recursive: true });
    const accounts = sandboxAccounts({ ...user, home: '/home/agent', shell: '/bin/bash' });
    await fs.writeFile(path.join(context, 'passwd'), accounts.passwd);
    await fs.writeFile(path.join(context, 'group'), accounts.group);
    if (userland.npmLayer)
      await fs.cp(userland.npmLayer.tree, path.join(context, 'usr-local'), {
        recursive: true,
        verbatimSymlinks: true,
      });
    await fs.writeFile(
      path.join(context, 'Dockerfile'),
      runnerDockerfile(base, user, !!userland.npmLayer, runnerDigest),
    );
    await docker(cli, ['build', '-q', '-t', tag, context], { DOCKER_BUILDKIT: '0' });
  } finally {
    // The npm layer's copy is read-only like the layer itself.
    await removeTree(context);
  }
  options.logger?.info(
    { image: tag, base, ms: Date.now() - started },
    'runner image built on the agent userland',
  );
  return tag;
}

function runnerDockerfile(
  base: string,
  user: { uid: number; gid: number },
  npm: boolean,
  runnerDigest: string,
): string {
  return [
    `FROM ${base}`,
    'COPY passwd /etc/passwd',
    'COPY group /etc/group',
    ...(npm ? ['COPY usr-local/ /usr/local/'] : []),
    'COPY app/ /app/',
    `LABEL org.opencontainers.image.title="${USERLAND_RUNNER_TITLE}" nanoclaw.runner-digest="${runnerDigest}"`,
    `USER ${user.uid}:${user.gid}`,
    'WORKDIR /workspace/group',
    'CMD ["/usr/bin/node", "/app/main.js"]',
    '',
  ].join('\n');
}

/**
 * Removes the images the host made from the userlands of `cacheDir` (`nanoclaw/userland:*`, and unless
 * `runnerImages` is false `nanoclaw/agent-runner:u-*`, labelled with that cache) except `keep`; an image a
 * container still uses stays (docker refuses) and is reported as kept.
 */
export async function pruneUserlandImages(
  cli: DockerCli,
  keep: ReadonlySet<string>,
  options: { cacheDir: string; runnerImages?: boolean },
): Promise<{
  removed: Array<{ image: string; size: string }>;
  kept: Array<{ image: string; reason: string }>;
}> {
  const listed = await docker(cli, [
    'image',
    'ls',
    '--filter',
    `label=${USERLAND_CACHE_LABEL}=${options.cacheDir}`,
    '--format',
    '{{.Repository}}:{{.Tag}}\t{{.Size}}',
  ]);
  const ours = listed
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([image]) => isUserlandImage(image ?? '', options.runnerImages !== false))
    .filter(([image]) => !keep.has(image ?? ''));
  const removed: Array<{ image: string; size: string }> = [];
  const kept: Array<{ image: string; reason: string }> = [];
  for (const [image = '', size = ''] of ours) {
    const result = await runCommand(cli.binary, ['image', 'rm', image], {
      env: dockerClientEnv(cli.env),
      timeoutMs: 120_000,
    });
    if (result.code === 0) removed.push({ image, size });
    else kept.push({ image, reason: (result.stderr || result.error?.message || '').trim() });
  }
  return { removed, kept };
}

function isUserlandImage(image: string, runnerImages: boolean): boolean {
  return (
    image.startsWith(`${USERLAND_REPOSITORY}:`) ||
    (runnerImages && image.startsWith(`${RUNNER_REPOSITORY}:${RUNNER_TAG_PREFIX}`))
  );
}

async function docker(
  cli: DockerCli,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const result = await runCommand(cli.binary, args, {
    env: { ...dockerClientEnv(cli.env), ...extraEnv },
    keepLast: 16_000,
    timeoutMs: 30 * 60_000,
  });
  if (result.code !== 0)
    throw new Error(
      `${cli.binary} ${args[0]} failed: ${(result.stderr || result.stdout || result.error?.message || '').trim().slice(-2_000)}`,
    );
  return result.stdout;
}
