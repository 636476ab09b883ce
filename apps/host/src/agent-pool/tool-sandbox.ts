import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runSandboxToExit, SANDBOX_PATHS, type SandboxOwner } from '@nanoclaw/container-runner';
import type { ContainerConfig, ContainerRuntime, Logger } from '@nanoclaw/core';
import { AgentPoolError } from './agent-pool-error.js';
import type { SandboxPlacer } from './sandbox-placement.js';
import { checkReachable, giveToSandbox } from './sandbox-spawner.js';
import type { ToolRunRequest, ToolRunResult } from './types.js';

export interface ToolSandboxContext {
  runtime: ContainerRuntime;
  placer: SandboxPlacer;
  user: SandboxOwner;
  hostIsRoot: boolean;
  groupsDir: string;
  logger: Logger;
}

/** What a tool run may use: enough for ffmpeg on a voice note, bounded like a small agent. */
const TOOL_LIMITS = { memoryMb: 1024, cpus: 1, pids: 256 };

/**
 * One command in a fresh sandbox on the group's placement (its userland tree or image): the group folder at
 * `/workspace/group` and nothing else of the host, no network, an env of PATH/HOME/LANG only, as the sandbox
 * user. Labelled as a tool run, so the orphan reaper leaves it to its own timeout.
 */
export async function runToolSandbox(
  context: ToolSandboxContext,
  config: ContainerConfig,
  request: ToolRunRequest,
): Promise<ToolRunResult> {
  const { runtime, user, logger } = context;
  if (runtime.name === 'process')
    throw new AgentPoolError('no-sandbox', 'the process runtime has no sandbox to run a tool in');
  const placement = await context.placer.place(request.group.folder, config);
  if (!placement.rootfs && !placement.image)
    throw new AgentPoolError(
      'userland-failed',
      'the agent userland is not ready: no sandbox has the tools yet',
    );
  const groupDir = await fs.realpath(path.join(context.groupsDir, request.group.folder));
  if (context.hostIsRoot) await giveToSandbox(groupDir, user, logger);
  const mounts = [
    { hostPath: groupDir, containerPath: SANDBOX_PATHS.group, readonly: false },
    ...placement.mounts.map(({ hostPath, containerPath, readonly }) => ({
      hostPath,
      containerPath,
      readonly,
    })),
  ];
  if (runtime.name === 'bwrap') await checkReachable(mounts, user);
  const proc = await runtime.spawn({
    name: `nanoclaw-tool-${randomBytes(4).toString('hex')}`,
    ...(placement.image ? { image: placement.image } : { rootfs: placement.rootfs as string }),
    command: [...request.command],
    cwd: SANDBOX_PATHS.group,
    env: { HOME: '/tmp', PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    mounts,
    network: 'none',
    limits: TOOL_LIMITS,
    labels: { 'nanoclaw.tool': request.group.folder },
    user,
  });
  const stop = () => {
    proc
      .kill()
      .catch((error: unknown) =>
        logger.warn({ err: error, sandbox: proc.name }, 'could not stop a tool sandbox'),
      );
  };
  request.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await runSandboxToExit(proc, { timeoutMs: request.timeoutMs, keepLast: 4_000 });
  } finally {
    request.signal?.removeEventListener('abort', stop);
  }
}
