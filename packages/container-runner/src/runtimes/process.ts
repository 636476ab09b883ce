import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CONTAINER_RUNTIME_SPEC_VERSION,
  type ContainerRuntime,
  type Logger,
  type RuntimeAvailability,
  type SandboxInfo,
  type SandboxMount,
  type SandboxProcess,
  type SandboxSpec,
} from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { verifyMounts } from '../mounts.js';
import { noopLogger } from '../noop-logger.js';
import { isInside } from '../path-utils.js';
import { wrapChild } from './sandbox-process.js';
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
 * its container paths (cwd, arguments, env values) rewritten to the mounted host paths (HOME gets a scratch
 * directory). No
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
  const logger = options.logger ?? noopLogger;
  const nodePath = options.nodePath ?? process.execPath;
  const live = new Map<string, { labels: Readonly<Record<string, string>>; proc: SandboxProcess }>();

  return {
    specificationVersion: CONTAINER_RUNTIME_SPEC_VERSION,
    name: 'process',
    async available(): Promise<RuntimeAvailability> {
      return { ok: true, detail: 'plain host processes (NO isolation, development only)' };
    },
    async spawn(spec: SandboxSpec): Promise<SandboxProcess> {
      checkSpec(spec);
      if (live.has(spec.name))
        throw new SandboxError('invalid-argument', `a sandbox named ${spec.name} is already running`);
      logger.warn(
        { sandbox: spec.name, runtime: 'process' },
        'spawning an agent WITHOUT isolation (process runtime): it runs as the host user and can read and change the host',
      );
      const mounts = await verifyMounts(spec.mounts);
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), `nanoclaw-process-${spec.name}-`));
      const home = spec.env.HOME ?? '/home/agent';
      await fs.mkdir(path.join(scratch, 'home'), { mode: 0o700 });
      const table = [...mounts, { hostPath: path.join(scratch, 'home'), containerPath: home }];
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(spec.env)) {
        env[key] = key === 'PATH' ? value : translateSandboxPath(value, table);
      }
      const [program, ...args] = spec.command as [string, ...string[]];
      const file =
        program === 'node' || program === '/usr/bin/node' ? nodePath : translateSandboxPath(program, table);
      const child = spawn(
        file,
        args.map((arg) => translateSandboxPath(arg, table)),
        { env, cwd: translateSandboxPath(spec.cwd, table), stdio: ['pipe', 'pipe', 'pipe'], detached: true },
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
          if (child.pid === undefined) return;
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        },
      }).catch(async (error) => {
        await fs.rm(scratch, { recursive: true, force: true });
        throw error;
      });
      if (child.exitCode === null && child.signalCode === null)
        live.set(spec.name, { labels: { ...spec.labels }, proc });
      return proc;
    },
    async list(labels): Promise<SandboxInfo[]> {
      return [...live.entries()]
        .filter(([, entry]) => Object.entries(labels).every(([k, v]) => entry.labels[k] === v))
        .map(([name, entry]) => ({ name, labels: entry.labels, running: true }));
    },
    async stop(name: string): Promise<void> {
      await live.get(name)?.proc.kill();
    },
  };
}
