import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ResourceLimits, SandboxMount, SandboxSpec } from '@nanoclaw/core';
import { type PlannedMount, SANDBOX_PATHS } from './mounts.js';
import { sandboxLabels } from './reaper.js';

/** Where the runner bundle is inside every sandbox, and how it is started. */
export const RUNNER_APP_PATH = '/app';
export const DEFAULT_RUNNER_COMMAND: readonly string[] = ['/usr/bin/node', `${RUNNER_APP_PATH}/main.js`];

/**
 * The uid/gid agents run as: the host user's own when it is not root (files in group folders stay theirs),
 * else 1000:1000 (never 0). Group folders and session homes must be writable by it.
 */
export function defaultSandboxUser(): { uid: number; gid: number } {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid !== undefined && gid !== undefined && uid !== 0 && gid !== 0) return { uid, gid };
  return { uid: 1000, gid: 1000 };
}

/** `nanoclaw-<group>-<8 hex of install+session>-<4 random hex>`: unique per spawn, readable in `docker ps`. */
export function sandboxName(
  ids: { installId: string; groupFolder: string; sessionId: string },
  random = randomBytes(2).toString('hex'),
): string {
  const hash = createHash('sha256').update(`${ids.installId}\0${ids.sessionId}`).digest('hex').slice(0, 8);
  const group = ids.groupFolder
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '-')
    .slice(0, 40);
  return `nanoclaw-${group}-${hash}-${random}`;
}

/** For runtimes without an image (bwrap, process): the runner bundle directory, read-only at /app. */
export function runnerAppMount(distDir: string): PlannedMount {
  const dir = path.resolve(distDir);
  return { kind: 'app', hostPath: dir, containerPath: RUNNER_APP_PATH, readonly: true, within: dir };
}

export interface BuildSandboxSpecOptions {
  installId: string;
  groupFolder: string;
  sessionId: string;
  /** Image for docker/apple. */
  image?: string;
  /** Root tree for bwrap (the agent userland); absent: the runtime's minimal tree. */
  rootfs?: string;
  /** Default `/usr/bin/node /app/main.js`. */
  command?: readonly string[];
  /** Default /workspace/group. */
  cwd?: string;
  /** From `buildSandboxEnv`. */
  env: Readonly<Record<string, string>>;
  /** From `buildMounts` (+ `runnerAppMount` for bwrap). */
  mounts: readonly SandboxMount[];
  /** `proxy` is `none` plus `applyEgressToSpec`. */
  network: 'full' | 'none';
  limits: ResourceLimits;
  user?: { uid: number; gid: number };
  /** Default: `sandboxName(...)`. */
  name?: string;
}

/** Assembles the spec of one group's sandbox (pure, apart from the random name suffix). */
export function buildSandboxSpec(options: BuildSandboxSpecOptions): SandboxSpec {
  return {
    name: options.name ?? sandboxName(options),
    ...(options.image ? { image: options.image } : {}),
    ...(options.rootfs ? { rootfs: options.rootfs } : {}),
    command: [...(options.command ?? DEFAULT_RUNNER_COMMAND)],
    cwd: options.cwd ?? SANDBOX_PATHS.group,
    env: { ...options.env },
    mounts: [...options.mounts],
    network: options.network,
    limits: { ...options.limits },
    labels: sandboxLabels(options),
    user: options.user ?? defaultSandboxUser(),
  };
}
