import {
  CONTAINER_RUNTIME_SPEC_VERSION,
  type ContainerRuntime,
  errorMessage,
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
import { settlesWithin } from '../settles-within.js';
import { hasLabels, parseCliList, stringLabels } from './sandbox-labels.js';
import { spawnLauncher, wrapChild } from './sandbox-process.js';
import { checkSpec } from './spec-checks.js';

export interface DockerRuntimeOptions {
  /** `docker` (default), `podman`, or a path to either. */
  binary?: string;
  /**
   * Where the CLI's own settings come from (PATH, HOME, DOCKER_HOST, DOCKER_CONFIG, CONTAINER_HOST, XDG_*);
   * default `process.env`. Only those keys are read; nothing from it reaches a container.
   */
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /** Run an init (tini) as PID 1 that reaps zombies and forwards signals (default true). */
  init?: boolean;
  /** Image pull policy (default `never`: images are built locally, nothing is fetched behind your back). */
  pull?: 'never' | 'missing' | 'always';
  /** Size of the /tmp and HOME tmpfs mounts in MiB (default 512 and 256). */
  tmpfsMb?: { tmp?: number; home?: number };
  /** Appended before the image, e.g. podman's `--ulimit nofile=4096:4096 --ulimit nproc=4096:4096`. */
  extraRunArgs?: readonly string[];
  /** Timeout of the short CLI calls (info, ps, inspect, rm); default 15 s. */
  commandTimeoutMs?: number;
  logger?: Logger;
}

export interface DockerRunInvocation {
  /** Everything after the binary name. */
  args: string[];
  /** Env values passed by name (`-e KEY`), so they never show in the host's process list. */
  envByName: Record<string, string>;
}

/**
 * `docker run`-style env flags. Values travel in the client's own environment, named by `<flag> KEY`, so
 * secrets never appear in a process list; keys the client itself reads (`isClientReservedEnvKey`) must be
 * passed as `KEY=value`.
 */
export function envByNameArgs(
  flag: string,
  env: Readonly<Record<string, string>>,
): { envArgs: string[]; envByName: Record<string, string> } {
  const envArgs: string[] = [];
  const envByName: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (isClientReservedEnvKey(key)) envArgs.push(flag, `${key}=${value}`);
    else {
      envArgs.push(flag, key);
      envByName[key] = value;
    }
  }
  return { envArgs, envByName };
}

/** Env keys the docker/podman CLI reads itself: passed as `-e KEY=VALUE` so the client's own value is untouched. */
export function isClientReservedEnvKey(key: string): boolean {
  return (
    ['PATH', 'HOME', 'TMPDIR', 'SHELL', 'USER'].includes(key) ||
    /^(DOCKER|CONTAINER|CONTAINERS|PODMAN|BUILDAH|BUILDKIT|STORAGE|REGISTRY|XDG)_/.test(key)
  );
}

/**
 * The `docker run` argv for a spec (pure). Hardened by default: `--rm`, `--read-only` root, non-root `--user`,
 * `--cap-drop ALL`, `no-new-privileges`, pids/memory(=swap)/cpu limits, tmpfs /tmp and HOME, labels, stdio
 * attached with `-i` (signals to the client not proxied), no log driver (the conversation is not stored by the engine), `--network none` unless
 * the spec asks for `full` (the engine's default network).
 */
export function buildDockerRunArgs(
  spec: SandboxSpec,
  options: Pick<DockerRuntimeOptions, 'init' | 'pull' | 'tmpfsMb' | 'extraRunArgs'> = {},
): DockerRunInvocation {
  checkSpec(spec);
  if (!spec.image) throw new SandboxError('invalid-argument', `docker sandbox ${spec.name} needs an image`);
  const { uid, gid } = spec.user;
  const home = spec.env.HOME ?? '/home/agent';
  const tmpMb = options.tmpfsMb?.tmp ?? 512;
  const homeMb = options.tmpfsMb?.home ?? 256;
  // --sig-proxy=false: a signal to the client (a terminal's Ctrl-C) is never passed on to the runner; the host
  // alone decides when a sandbox stops. The client still exits with the container.
  const args = [
    'run',
    '--rm',
    '-i',
    '--sig-proxy=false',
    '--name',
    spec.name,
    '--pull',
    options.pull ?? 'never',
  ];
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`);
  if (spec.network === 'none') args.push('--network', 'none');
  if (options.init ?? true) args.push('--init');
  args.push(
    '--read-only',
    '--user',
    `${uid}:${gid}`,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--pids-limit',
    String(spec.limits.pids),
    '--memory',
    `${spec.limits.memoryMb}m`,
    '--memory-swap',
    `${spec.limits.memoryMb}m`,
    '--cpus',
    String(spec.limits.cpus),
    '--log-driver',
    'none',
    '--tmpfs',
    `/tmp:rw,nosuid,nodev,size=${tmpMb}m,mode=1777`,
    '--tmpfs',
    `${home}:rw,nosuid,nodev,size=${homeMb}m,uid=${uid},gid=${gid},mode=0700`,
  );
  for (const dir of homeParentsOfMounts(spec.mounts, home)) {
    args.push('--tmpfs', `${dir}:rw,nosuid,nodev,size=${homeMb}m,uid=${uid},gid=${gid},mode=0700`);
  }
  const { envArgs, envByName } = envByNameArgs('-e', spec.env);
  args.push(...envArgs);
  for (const mount of spec.mounts) {
    const fields = ['type=bind', `source=${mount.hostPath}`, `target=${mount.containerPath}`];
    if (mount.readonly) fields.push('readonly');
    args.push('--mount', fields.map(csvField).join(','));
  }
  args.push('--workdir', spec.cwd, ...(options.extraRunArgs ?? []), spec.image, ...spec.command);
  return { args, envByName };
}

/**
 * The folders between HOME and each mount inside it (`/home/agent/.local`, `/home/agent/.local/share` for a mount
 * at `/home/agent/.local/share/opencode`), parents first. Docker would create them as root-owned mount points,
 * and the agent could not create its own files beside the mount (`~/.local/state`); each gets a tmpfs of its own,
 * owned by the sandbox user.
 */
export function homeParentsOfMounts(mounts: readonly { containerPath: string }[], home: string): string[] {
  const dirs = new Set<string>();
  for (const mount of mounts) {
    if (!mount.containerPath.startsWith(`${home}/`)) continue;
    const parts = mount.containerPath
      .slice(home.length + 1)
      .split('/')
      .slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${home}/${parts.slice(0, i).join('/')}`);
  }
  for (const mount of mounts) dirs.delete(mount.containerPath);
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** docker's --mount value is CSV: quote a field holding a comma or a quote. */
function csvField(field: string): string {
  return /[",]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** The CLI's own env: only what docker/podman read (never a container's secrets). */
export function dockerClientEnv(
  hostEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: hostEnv.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
  for (const [key, value] of Object.entries(hostEnv)) {
    if (value === undefined || key === 'PATH') continue;
    if (key === 'HOME' || /^(DOCKER|CONTAINER|CONTAINERS|PODMAN|XDG)_/.test(key)) env[key] = value;
  }
  return env;
}

/** Parses `docker inspect` JSON (docker or podman) into `SandboxInfo`s; unparseable input yields []. */
export function parseDockerInspect(json: string): SandboxInfo[] {
  return parseCliList(json, (item) => {
    const record = item as { Name?: unknown; Config?: { Labels?: unknown }; State?: { Running?: unknown } };
    if (typeof record.Name !== 'string') return undefined;
    return {
      name: record.Name.replace(/^\//, ''),
      labels: stringLabels(record.Config?.Labels),
      running: record.State?.Running === true,
    };
  });
}

export interface DockerRuntime extends ContainerRuntime {
  readonly name: 'docker';
  readonly binary: string;
  /** The env the CLI runs with (DOCKER_HOST and friends): other docker calls for this engine use the same. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** Whether the image exists locally. */
  hasImage(image: string): Promise<boolean>;
  /** Raw `docker inspect` of one container (null when it does not exist): for tests and `nanoclaw doctor`. */
  inspect(name: string): Promise<Record<string, unknown> | null>;
}

/** Docker (or Podman, with `binary: 'podman'`): the production runtime. */
export function createDockerRuntime(options: DockerRuntimeOptions = {}): DockerRuntime {
  const binary = options.binary ?? 'docker';
  const logger = options.logger ?? silentLogger;
  const clientEnv = dockerClientEnv(options.hostEnv ?? process.env);
  const timeoutMs = options.commandTimeoutMs ?? 15_000;
  const cli = (args: readonly string[], timeout = timeoutMs) =>
    runCommand(binary, args, { env: clientEnv, timeoutMs: timeout });

  const stop = async (name: string): Promise<void> => {
    const result = await cli(['rm', '-f', name]);
    if (result.code === 0 || /no such container/i.test(result.stderr)) return;
    throw new SandboxError(
      'runtime-failed',
      `${binary} rm -f ${name} failed: ${result.error?.message ?? (result.stderr.trim() || `exit ${result.code}`)}`,
    );
  };

  return {
    specificationVersion: CONTAINER_RUNTIME_SPEC_VERSION,
    name: 'docker',
    binary,
    clientEnv,
    async available(): Promise<RuntimeAvailability> {
      const result = await cli(['version', '--format', '{{.Server.Version}}'], Math.min(timeoutMs, 5_000));
      if (result.code === 0 && result.stdout.trim()) {
        const where = clientEnv.DOCKER_HOST ?? clientEnv.CONTAINER_HOST ?? 'the default socket';
        return { ok: true, detail: `${binary} engine ${result.stdout.trim()} at ${where}` };
      }
      const reason = result.error
        ? `${binary} is not installed (${result.error.message})`
        : result.timedOut
          ? `${binary} did not answer within 5 s`
          : `${binary} engine does not answer: ${result.stderr.trim().split('\n')[0] ?? ''}`;
      return {
        ok: false,
        reason,
        hint: result.error
          ? 'install Docker (apt-get install docker.io, or Docker Desktop) or podman'
          : 'start the engine (systemctl start docker; without systemd see .ci/sandbox-setup.sh) or set DOCKER_HOST',
      };
    },
    async spawn(spec: SandboxSpec): Promise<SandboxProcess> {
      const mounts = await verifyMounts(spec.mounts);
      const { args, envByName } = buildDockerRunArgs({ ...spec, mounts }, options);
      logger.debug({ sandbox: spec.name, runtime: binary }, 'docker run');
      const child = spawnLauncher(binary, args, {
        env: { ...clientEnv, ...envByName },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const clientExited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // `rm -f` can run before the engine created the container (kill right after spawn): repeat it until the
      // attached client is gone, so no container outlives kill(). The reaper catches anything left anyway.
      const stopForReal = async () => {
        for (let attempt = 0; attempt < 3; attempt++) {
          await stop(spec.name);
          if (await settlesWithin(clientExited, 1_500)) return;
        }
      };
      return wrapChild({ name: spec.name, child, stop: stopForReal, killGraceMs: 1_000 });
    },
    async list(labels): Promise<SandboxInfo[]> {
      const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
      const ps = await cli(['ps', '-a', '-q', '--no-trunc', ...filters]);
      if (ps.code !== 0) {
        throw new SandboxError(
          'runtime-failed',
          `${binary} ps failed: ${ps.error?.message ?? ps.stderr.trim()}`,
        );
      }
      const ids = ps.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
      if (ids.length === 0) return [];
      const inspect = await cli(['inspect', ...ids]);
      // A container removed between ps and inspect makes inspect exit 1 but still print the others.
      return parseDockerInspect(inspect.stdout).filter((info) => hasLabels(info.labels, labels));
    },
    stop,
    async hasImage(image: string): Promise<boolean> {
      const result = await cli(['image', 'inspect', '--format', '{{.Id}}', image]);
      return result.code === 0;
    },
    async inspect(name: string): Promise<Record<string, unknown> | null> {
      const result = await cli(['inspect', name]);
      if (result.code !== 0) return null;
      try {
        const parsed = JSON.parse(result.stdout) as unknown;
        const first = Array.isArray(parsed) ? (parsed[0] as unknown) : undefined;
        return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : null;
      } catch (error) {
        logger.warn({ sandbox: name, err: errorMessage(error) }, 'docker inspect returned invalid JSON');
        return null;
      }
    },
  };
}
