import {
  CONTAINER_RUNTIME_SPEC_VERSION,
  type ContainerRuntime,
  type Logger,
  type RuntimeAvailability,
  type SandboxInfo,
  type SandboxProcess,
  type SandboxSpec,
  silentLogger,
} from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { verifyMounts } from '../mounts.js';
import { runCommand } from '../run-command.js';
import { envByNameArgs } from './docker.js';
import { hasLabels, parseCliList, stringLabels } from './sandbox-labels.js';
import { spawnLauncher, wrapChild } from './sandbox-process.js';
import { checkSpec } from './spec-checks.js';

export interface AppleRuntimeOptions {
  /** The CLI (default `container`). */
  binary?: string;
  /**
   * The network used for `network: 'none'`: a host-only network without a route out, created once with
   * `container network create --internal <name>` (default `nanoclaw-isolated`). Apple Container has no
   * `--network none`; the host stays reachable from such a network.
   */
  isolatedNetwork?: string;
  /** `--read-only` and `--cap-drop ALL` (needs a `container` release that has them; default true). */
  hardening?: boolean;
  hostEnv?: Readonly<Record<string, string | undefined>>;
  commandTimeoutMs?: number;
  logger?: Logger;
}

export interface AppleRunInvocation {
  args: string[];
  /** Passed by name (`-e KEY`) so values stay out of the process list. */
  envByName: Record<string, string>;
}

/**
 * The `container run` argv for a spec (pure). Each Apple container is its own lightweight VM; on top of that:
 * non-root user, read-only root and no capabilities (`hardening`), CPU and memory limits, tmpfs /tmp and HOME,
 * labels, and an internal network (`isolatedNetwork`, no DNS) for `none`. There is no pids limit flag.
 */
export function buildAppleRunArgs(
  spec: SandboxSpec,
  options: Pick<AppleRuntimeOptions, 'isolatedNetwork' | 'hardening'> = {},
): AppleRunInvocation {
  checkSpec(spec);
  if (!spec.image) throw new SandboxError('invalid-argument', `apple sandbox ${spec.name} needs an image`);
  const home = spec.env.HOME ?? '/home/agent';
  const args = ['run', '--rm', '-i', '--name', spec.name];
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`);
  if (spec.network === 'none')
    args.push('--network', options.isolatedNetwork ?? 'nanoclaw-isolated', '--no-dns');
  if (options.hardening ?? true) args.push('--read-only', '--cap-drop', 'ALL');
  args.push(
    '--user',
    `${spec.user.uid}:${spec.user.gid}`,
    '--cpus',
    String(Math.max(1, Math.ceil(spec.limits.cpus))),
    '--memory',
    `${spec.limits.memoryMb}M`,
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    home,
  );
  const { envArgs, envByName } = envByNameArgs('--env', spec.env);
  args.push(...envArgs);
  for (const mount of spec.mounts) {
    const fields = ['type=bind', `source=${mount.hostPath}`, `target=${mount.containerPath}`];
    if (mount.readonly) fields.push('readonly');
    if (fields.some((f) => f.includes(','))) {
      throw new SandboxError(
        'invalid-argument',
        `apple: mount paths may not contain "," (${mount.hostPath})`,
      );
    }
    args.push('--mount', fields.join(','));
  }
  args.push('--workdir', spec.cwd, spec.image, ...spec.command);
  return { args, envByName };
}

/** Parses `container list --all --format json` defensively (the format is not stable before 1.0). */
export function parseAppleList(json: string): SandboxInfo[] {
  return parseCliList(json, (item) => {
    const record = item as { configuration?: { id?: unknown; labels?: unknown }; status?: unknown };
    const id = record.configuration?.id;
    if (typeof id !== 'string') return undefined;
    return {
      name: id,
      labels: stringLabels(record.configuration?.labels),
      running: record.status === 'running',
    };
  });
}

/** Apple Container (macOS on Apple silicon): one lightweight VM per sandbox. */
export function createAppleRuntime(options: AppleRuntimeOptions = {}): ContainerRuntime {
  const binary = options.binary ?? 'container';
  const logger = options.logger ?? silentLogger;
  const hostEnv = options.hostEnv ?? process.env;
  const clientEnv: Record<string, string> = { PATH: hostEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  if (hostEnv.HOME) clientEnv.HOME = hostEnv.HOME;
  const timeoutMs = options.commandTimeoutMs ?? 15_000;
  const cli = (args: readonly string[]) => runCommand(binary, args, { env: clientEnv, timeoutMs });
  const stop = async (name: string) => {
    const result = await cli(['delete', '--force', name]);
    if (result.code === 0 || /not found|no such/i.test(result.stderr)) return;
    throw new SandboxError(
      'runtime-failed',
      `${binary} delete --force ${name} failed: ${result.stderr.trim() || result.error?.message}`,
    );
  };
  return {
    specificationVersion: CONTAINER_RUNTIME_SPEC_VERSION,
    name: 'apple',
    async available(): Promise<RuntimeAvailability> {
      if (process.platform !== 'darwin') {
        return { ok: false, reason: 'Apple Container runs on macOS only', hint: 'use Docker or bubblewrap' };
      }
      const result = await cli(['system', 'status']);
      if (result.code === 0) return { ok: true, detail: `Apple Container (${binary})` };
      return {
        ok: false,
        reason: result.error
          ? `${binary} is not installed`
          : `Apple Container is not running: ${result.stderr.trim()}`,
        hint: result.error
          ? 'install Apple Container from https://github.com/apple/container/releases'
          : 'run `container system start`',
      };
    },
    async spawn(spec: SandboxSpec): Promise<SandboxProcess> {
      const mounts = await verifyMounts(spec.mounts);
      const { args, envByName } = buildAppleRunArgs({ ...spec, mounts }, options);
      logger.debug({ sandbox: spec.name }, 'container run');
      const child = spawnLauncher(binary, args, {
        env: { ...clientEnv, ...envByName },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      return wrapChild({ name: spec.name, child, stop: () => stop(spec.name) });
    },
    async list(labels): Promise<SandboxInfo[]> {
      const result = await cli(['list', '--all', '--format', 'json']);
      if (result.code !== 0)
        throw new SandboxError('runtime-failed', `${binary} list failed: ${result.stderr.trim()}`);
      return parseAppleList(result.stdout).filter((info) => hasLabels(info.labels, labels));
    },
    stop,
  };
}
