import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CONTAINER_RUNTIME_SPEC_VERSION,
  type ContainerRuntime,
  type Logger,
  type RuntimeAvailability,
  type SandboxMount,
  type SandboxProcess,
  type SandboxSpec,
  signalProcessGroup,
  silentLogger,
} from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { verifyMounts } from '../mounts.js';
import { isInside, isStrictlyInside } from '../path-utils.js';
import { LiveSandboxes } from './sandbox-labels.js';
import { spawnLauncher, wrapChild } from './sandbox-process.js';
import { checkSpec } from './spec-checks.js';

export interface ProcessRuntimeOptions {
  /** Must be exactly `true`: this runtime isolates NOTHING (the agent runs as the host user, sees the host). */
  unsafeAllowNoIsolation?: boolean;
  /** Replaces `node` / `/usr/bin/node` as the command's program (default `process.execPath`). */
  nodePath?: string;
  logger?: Logger;
}

/**
 * Maps a sandbox path to the host path of the mount that covers it (longest container path wins); paths no
 * mount covers are returned unchanged. Pure.
 */
export function translateSandboxPath(
  value: string,
  mounts: readonly Pick<SandboxMount, 'hostPath' | 'containerPath'>[],
): string {
  if (!value.startsWith('/')) return value;
  const match = [...mounts]
    .filter((m) => isInside(m.containerPath, value))
    .sort((a, b) => b.containerPath.length - a.containerPath.length)[0];
  if (!match) return value;
  const rel = path.posix.relative(match.containerPath, value);
  return rel === '' ? match.hostPath : path.join(match.hostPath, rel);
}

/**
 * Development only: runs the command as a plain host process, with the spec's env (never `process.env`) and
 * its container paths (cwd, arguments, env values) rewritten to the mounted host paths. HOME is a scratch
 * directory (like the tmpfs HOME of the other runtimes) where every mount under the sandbox's HOME appears as a
 * symlink to its host path, so a program that finds its state through HOME (`~/.codex`, `~/.claude`,
 * `~/.local/share/opencode`) uses the mounted folder, as it would in a real sandbox. No
 * isolation, no limits, no network control. The factory throws unless `unsafeAllowNoIsolation: true`, and
 * every spawn logs a warning.
 */
export function createProcessRuntime(options: ProcessRuntimeOptions = {}): ContainerRuntime {
  if (options.unsafeAllowNoIsolation !== true) {
    throw new SandboxError(
      'invalid-argument',
      'the process runtime does not isolate agents; pass { unsafeAllowNoIsolation: true } to use it for development',
    );
  }
  const logger = options.logger ?? silentLogger;
  const nodePath = options.nodePath ?? process.execPath;
  const live = new LiveSandboxes();

  return {
    specificationVersion: CONTAINER_RUNTIME_SPEC_VERSION,
    name: 'process',
    async available(): Promise<RuntimeAvailability> {
      return { ok: true, detail: 'plain host processes (NO isolation, development only)' };
    },
    async spawn(spec: SandboxSpec): Promise<SandboxProcess> {
      checkSpec(spec);
      live.assertFree(spec.name);
      logger.warn(
        { sandbox: spec.name, runtime: 'process' },
        'spawning an agent WITHOUT isolation (process runtime): it runs as the host user and can read and change the host',
      );
      const mounts = await verifyMounts(spec.mounts);
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), `nanoclaw-process-${spec.name}-`));
      const home = spec.env.HOME ?? '/home/agent';
      const scratchHome = path.join(scratch, 'home');
      await fs.mkdir(scratchHome, { mode: 0o700 });
      await linkHomeMounts(scratchHome, home, mounts, logger).catch(async (error: unknown) => {
        await fs.rm(scratch, { recursive: true, force: true });
        throw error;
      });
      const table = [...mounts, { hostPath: scratchHome, containerPath: home }];
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(spec.env)) {
        env[key] = key === 'PATH' ? value : translateSandboxPath(value, table);
      }
      const [program, ...args] = spec.command as [string, ...string[]];
      const file =
        program === 'node' || program === '/usr/bin/node' ? nodePath : translateSandboxPath(program, table);
      const child = spawnLauncher(
        file,
        args.map((arg) => translateSandboxPath(arg, table)),
        { env, cwd: translateSandboxPath(spec.cwd, table), stdio: ['pipe', 'pipe', 'pipe'] },
      );
      // Registered before wrapChild's own listener: the scratch dir is gone by the time `exited` resolves.
      child.once('exit', () => {
        live.delete(spec.name);
        rmSync(scratch, { recursive: true, force: true });
      });
      const proc = await wrapChild({
        name: spec.name,
        child,
        killGraceMs: 2_000,
        stop: async () => {
          signalProcessGroup(child, 'SIGKILL');
        },
      }).catch(async (error) => {
        await fs.rm(scratch, { recursive: true, force: true });
        throw error;
      });
      if (child.exitCode === null && child.signalCode === null) live.add(spec.name, spec.labels, proc);
      return proc;
    },
    list: async (labels) => live.list(labels),
    stop: (name) => live.stop(name),
  };
}

/**
 * Puts each mount under the sandbox's HOME into the scratch home as a symlink to its host path (parents
 * created). A mount below another one under HOME cannot be shown that way (its link would land in the outer
 * mount's host folder): it is skipped with a warning; paths in env and arguments still reach it.
 */
async function linkHomeMounts(
  scratchHome: string,
  home: string,
  mounts: readonly SandboxMount[],
  logger: Logger,
): Promise<void> {
  const underHome = mounts
    .filter((m) => isStrictlyInside(home, m.containerPath))
    .sort((a, b) => a.containerPath.length - b.containerPath.length);
  const linked: string[] = [];
  for (const mount of underHome) {
    const outer = linked.find((containerPath) => isStrictlyInside(containerPath, mount.containerPath));
    if (outer) {
      logger.warn(
        { containerPath: mount.containerPath, inside: outer },
        'process runtime: a mount inside another mount under HOME is not linked into the scratch HOME',
      );
      continue;
    }
    const link = path.join(scratchHome, path.posix.relative(home, mount.containerPath));
    await fs.mkdir(path.dirname(link), { recursive: true, mode: 0o700 });
    await fs.symlink(mount.hostPath, link);
    linked.push(mount.containerPath);
  }
}
