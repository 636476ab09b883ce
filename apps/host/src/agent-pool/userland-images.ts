import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dockerClientEnv, sandboxAccounts } from '@nanoclaw/container-runner';
import type { Logger } from '@nanoclaw/core';
import type { CachedImage, GroupUserland } from '@nanoclaw/sandbox-image';
import { digestRunnerBundle } from './runner-stage.js';

/** The image a userland tree is imported as (one per userland digest). */
export function userlandImageTag(userland: CachedImage): string {
  return `nanoclaw/userland:${userland.manifest.digest.slice(0, 16)}`;
}

/** What every runner image built on a userland carries, so the host knows it as its own. */
export const USERLAND_RUNNER_TITLE = 'nanoclaw agent-runner';

export interface DockerCli {
  binary: string;
  /** The CLI's env (only DOCKER_*, HOME, PATH, XDG_* are read). */
  env: Readonly<Record<string, string | undefined>>;
}

/** Imports the userland tree as an image (`tar -c | docker import`) unless it is there already. */
export async function ensureUserlandImage(
  cli: DockerCli,
  userland: CachedImage,
  logger?: Logger,
): Promise<string> {
  const tag = userlandImageTag(userland);
  if (await hasImage(cli, tag)) return tag;
  const started = Date.now();
  const env = dockerClientEnv(cli.env);
  const tar = spawn('tar', ['-C', userland.tree, '--numeric-owner', '-c', '.'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const load = spawn(cli.binary, ['import', '-', tag], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  tar.stdout.pipe(load.stdin);
  load.stdin.on('error', () => {});
  const [tarExit, loadResult] = await Promise.all([exitOf(tar), outputOf(load)]);
  if (tarExit.code !== 0 || loadResult.code !== 0) {
    throw new Error(
      `importing the agent userland as ${tag} failed: ${(loadResult.output || tarExit.output).trim().slice(-2_000)}`,
    );
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
 * The runner image for a group's userland: `FROM` the imported userland, the npm layer at /usr/local, passwd and
 * group naming the sandbox uid (bash, /home/agent) and the runner bundle at /app. Tagged by what it is built from
 * (userland, npm layer, runner bundle, uid), so a change of any of them builds a new one and nothing is rebuilt
 * needlessly.
 */
export async function ensureRunnerImageOnUserland(options: RunnerImageOptions): Promise<string> {
  const { cli, userland, user } = options;
  const base = await ensureUserlandImage(cli, userland.userland, options.logger);
  const runnerDigest = await digestRunnerBundle(options.runnerDist);
  const key = createHash('sha256')
    .update(
      JSON.stringify([base, userland.npmLayer?.manifest.digest ?? null, runnerDigest, user.uid, user.gid]),
    )
    .digest('hex')
    .slice(0, 16);
  const tag = `nanoclaw/agent-runner:u-${key}`;
  if (await hasImage(cli, tag)) return tag;
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
    await run(cli, ['build', '-q', '-t', tag, context], { DOCKER_BUILDKIT: '0' });
  } finally {
    await fs.rm(context, { recursive: true, force: true });
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

async function hasImage(cli: DockerCli, tag: string): Promise<boolean> {
  const result = await outputOf(
    spawn(cli.binary, ['image', 'inspect', '--format', '{{.Id}}', tag], {
      env: dockerClientEnv(cli.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  return result.code === 0;
}

async function run(cli: DockerCli, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const result = await outputOf(
    spawn(cli.binary, args, {
      env: { ...dockerClientEnv(cli.env), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  if (result.code !== 0)
    throw new Error(`${cli.binary} ${args[0]} failed: ${result.output.trim().slice(-2_000)}`);
  return result.output;
}

/** Exit code and stderr of a process whose stdout is piped elsewhere. */
function exitOf(child: ReturnType<typeof spawn>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4_000);
    });
    child.once('error', (error) => resolve({ code: null, output: `${output}${String(error)}` }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

function outputOf(child: ReturnType<typeof spawn>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-16_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    child.once('error', (error) => resolve({ code: null, output: `${output}${String(error)}` }));
    child.once('close', (code) => resolve({ code, output }));
  });
}
