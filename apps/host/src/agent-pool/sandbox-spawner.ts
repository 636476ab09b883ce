import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type AgentSandbox,
  type BuildMountsOptions,
  buildMounts,
  buildSandboxEnv,
  buildSandboxSpec,
  canChownTree,
  chownTree,
  createSandboxConnection,
  DEFAULT_SHADOW_TARGETS,
  findShadowTargets,
  findUntraversable,
  loadMountAllowlist,
  type PlannedMount,
  prepareShadowSources,
  resolveAdditionalMounts,
  runnerAppMount,
  SANDBOX_PATHS,
  type SandboxOwner,
  type ShadowTarget,
  sandboxHostPaths,
  translateSandboxPath,
} from '@nanoclaw/container-runner';
import type {
  ContainerConfig,
  ContainerRuntime,
  Logger,
  McpServerConfig,
  SandboxMount,
  SandboxSpec,
} from '@nanoclaw/core';
import { placeAgentContext, prepareContextDirs } from './agent-context.js';
import { AgentPoolError } from './agent-pool-error.js';
import type { AgentPoolOptions } from './agent-pool-options.js';
import { stageRunnerBundle } from './runner-stage.js';
import { stageRuntimeDir } from './runtime-stage.js';
import { planSandboxEgress, startPlannedEgress, usesEgressProxy } from './sandbox-egress-plan.js';
import type { SandboxPlacer } from './sandbox-placement.js';
import type { AcquireRequest, ProviderSandboxProfile } from './types.js';

/** Where providers' native programs appear inside a sandbox (read-only). */
const RUNTIMES_SANDBOX_DIR = '/opt/nanoclaw/runtimes';

export interface SpawnerContext {
  options: AgentPoolOptions;
  runtime: ContainerRuntime;
  logger: Logger;
  projectRoot: string;
  groupsDir: string;
  dataDir: string;
  runnerDist: string;
  user: SandboxOwner;
  hostIsRoot: boolean;
  profiles: Readonly<Record<string, ProviderSandboxProfile>>;
  closeTimeoutMs: number;
  placer: SandboxPlacer;
}

/** A sandbox with its session started, and what must go with it. */
export interface SpawnedSandbox {
  sandbox: AgentSandbox;
  resumed: boolean;
  logger: Logger;
  /** Stops the sandbox's egress proxy (none: resolves at once); call once the sandbox is gone. */
  stopEgress(): Promise<void>;
}

type MountBase = Omit<BuildMountsOptions, 'shadow' | 'additionalMounts'>;
type HostPaths = ReturnType<typeof sandboxHostPaths>;

/**
 * One cold spawn, in named steps: the host folders (created, handed to the sandbox user), the mounts and env,
 * the spec, the egress proxy, the sandbox process, and its session.
 */
export class SandboxSpawner {
  readonly #context: SpawnerContext;
  readonly #usesImage: boolean;
  readonly #allowlistPath: string;
  readonly #stagedRuntimes = new Map<string, Promise<string>>();
  #stagedBundle: Promise<string> | undefined;

  constructor(context: SpawnerContext, allowlistPath: string) {
    this.#context = context;
    this.#allowlistPath = allowlistPath;
    this.#usesImage = context.runtime.name === 'docker' || context.runtime.name === 'apple';
  }

  profileFor(provider: string): ProviderSandboxProfile {
    const { profiles } = this.#context;
    const profile = Object.hasOwn(profiles, provider) ? profiles[provider] : undefined;
    if (!profile) {
      throw new AgentPoolError(
        'unknown-provider',
        `no sandbox profile for provider "${provider}" (known: ${Object.keys(profiles).sort().join(', ')})`,
      );
    }
    return profile;
  }

  async spawn(request: AcquireRequest, config: ContainerConfig): Promise<SpawnedSandbox> {
    const started = Date.now();
    const { projectRoot, groupsDir, dataDir, runtime } = this.#context;
    const profile = this.profileFor(request.provider);
    const logger = this.#context.logger.child({
      group: request.group.folder,
      session: request.session.id,
      provider: request.provider,
    });
    const mountBase: MountBase = {
      projectRoot,
      groupsDir,
      dataDir,
      groupFolder: request.group.folder,
      isMain: request.group.isMain,
      sessionId: request.session.id,
      providerHomeDir: profile.homeDir,
    };
    // Validates folder, session id and home dir before anything touches the disk.
    buildMounts({ ...mountBase, isMain: false });
    const paths = sandboxHostPaths(mountBase);
    this.#checkRunnerBuilt();
    const egressed = usesEgressProxy(runtime.name, config.network);
    await this.#prepareHost(paths, profile, egressed, logger);
    if (profile.agentContext) {
      await placeAgentContext({
        source: { groupsDir: paths.groupsDir, folder: request.group.folder },
        config,
        providerHome: paths.providerHome,
        sessionDir: paths.sessionDir,
        places: profile.agentContext,
        logger,
      });
    }
    const { spec, env } = await this.#buildSpec(request, config, profile, mountBase, logger);
    let stopEgress = (): Promise<void> => Promise.resolve();
    try {
      let launched = spec;
      if (egressed) {
        const egress = await this.#startEgress(spec, env, profile, config, logger);
        launched = egress.spec;
        stopEgress = egress.stop;
      }
      const { sandbox, resumed } = await this.#connect(request, config, launched, logger, started);
      return { sandbox, resumed, logger, stopEgress };
    } catch (error) {
      await stopEgress();
      throw error;
    }
  }

  #checkRunnerBuilt(): void {
    const { runnerDist } = this.#context;
    if (!this.#usesImage && !existsSync(path.join(runnerDist, 'main.js'))) {
      throw new AgentPoolError(
        'runner-missing',
        `the agent runner is not built: ${runnerDist}/main.js is missing (build @nanoclaw/agent-runner)`,
      );
    }
  }

  /** The group folder and the session's provider home: created, filled, and owned by the sandbox user. */
  async #prepareHost(
    paths: HostPaths,
    profile: ProviderSandboxProfile,
    egressed: boolean,
    logger: Logger,
  ): Promise<void> {
    const { options, runtime, hostIsRoot, user } = this.#context;
    await prepareFolders(paths, profile.homeDir);
    await profile.prepareHome?.({ homePath: paths.providerHome, env: options.hostEnv, egress: egressed });
    if (profile.agentContext) await prepareContextDirs(paths.providerHome, profile.agentContext);
    if (hostIsRoot && runtime.name !== 'process') {
      await giveToSandbox(paths.groupDir, user, logger);
      await giveToSandbox(paths.providerHome, user, logger);
    }
  }

  /** Mounts (shadows, additional, runner, provider binary, userland), env and limits: the sandbox's spec. */
  async #buildSpec(
    request: AcquireRequest,
    config: ContainerConfig,
    profile: ProviderSandboxProfile,
    mountBase: MountBase,
    logger: Logger,
  ): Promise<{ spec: SandboxSpec; env: Record<string, string> }> {
    const { options, user } = this.#context;
    const folder = request.group.folder;
    const shadow = await this.#shadow(request.group.isMain);
    const additionalMounts = await this.#additionalMounts(config, request.group.isMain, logger);
    const binary = await this.#runtimeBinary(request.provider, profile);
    const placement = await this.#context.placer.place(folder, config);
    const mounts: PlannedMount[] = [
      ...buildMounts({ ...mountBase, ...(shadow ? { shadow } : {}), additionalMounts }),
      ...(this.#usesImage ? [] : [runnerAppMount(await this.#runnerBundle())]),
      ...(binary?.mount ? [binary.mount] : []),
      ...placement.mounts,
    ];
    const env = {
      ...buildSandboxEnv({
        hostEnv: options.hostEnv,
        envAllowlist: profile.envAllowlist,
        configEnv: config.env,
        ...(options.runnerEnv ? { runnerEnv: options.runnerEnv } : {}),
        ...(options.timezone ? { timezone: options.timezone } : {}),
      }),
      ...binary?.env,
    };
    const spec = buildSandboxSpec({
      installId: options.installId,
      groupFolder: folder,
      sessionId: request.session.id,
      ...(placement.image ? { image: placement.image } : {}),
      ...(placement.rootfs ? { rootfs: placement.rootfs } : {}),
      env,
      mounts,
      network: config.network === 'full' ? 'full' : 'none',
      limits: config.limits,
      user,
    });
    return { spec, env };
  }

  /** The main group's shadowed paths (`.env`, `data/`, ...), when the project has any. */
  async #shadow(
    isMain: boolean,
  ): Promise<{ targets: ShadowTarget[]; emptyFile: string; emptyDir: string } | undefined> {
    if (!isMain) return undefined;
    const { projectRoot, dataDir } = this.#context;
    const targets = await findShadowTargets(projectRoot, shadowCandidates(projectRoot, dataDir));
    if (targets.length === 0) return undefined;
    return { targets, ...(await prepareShadowSources(path.join(dataDir, 'sandbox', 'shadow'))) };
  }

  /** The group's `additionalMounts` the allowlist lets through (refused and downgraded ones are logged). */
  async #additionalMounts(config: ContainerConfig, isMain: boolean, logger: Logger): Promise<PlannedMount[]> {
    if (config.additionalMounts.length === 0) return [];
    const { projectRoot, groupsDir, dataDir } = this.#context;
    const allowlistPath = this.#allowlistPath;
    const resolved = await resolveAdditionalMounts(config.additionalMounts, {
      allowlist: await loadMountAllowlist(allowlistPath),
      isMain,
      allowlistPath,
      protectedPaths: [projectRoot, groupsDir, dataDir],
    });
    for (const { mount, reason } of resolved.rejected) {
      logger.warn(
        { hostPath: mount.hostPath, containerPath: mount.containerPath, reason, allowlist: allowlistPath },
        'additional mount refused',
      );
    }
    for (const { mount, reason } of resolved.downgraded) {
      logger.info(
        { hostPath: mount.hostPath, containerPath: mount.containerPath, reason },
        'additional mount is read-only',
      );
    }
    return resolved.mounts;
  }

  /**
   * The bundle folder a sandbox mounts at /app. When the sandbox runs as another uid than the host (root host,
   * isolated runtime), a staged copy in the data dir, since the checkout may not be traversable for it.
   */
  #runnerBundle(): Promise<string> {
    const { hostIsRoot, runtime, runnerDist, dataDir } = this.#context;
    if (!(hostIsRoot && runtime.name !== 'process')) return Promise.resolve(runnerDist);
    this.#stagedBundle ??= stageRunnerBundle(runnerDist, dataDir);
    return this.#stagedBundle;
  }

  /**
   * The provider's native program as the sandbox sees it: its folder mounted read-only at
   * `/opt/nanoclaw/runtimes/<id>` (staged into the data dir when the sandbox runs as another uid), its path in
   * the profile's env key. The process runtime gets the host path as it is.
   */
  async #runtimeBinary(
    provider: string,
    profile: ProviderSandboxProfile,
  ): Promise<{ mount?: PlannedMount; env: Record<string, string> } | undefined> {
    const binary = profile.resolveBinary?.();
    if (!binary) return undefined;
    const { runtime, hostIsRoot, dataDir } = this.#context;
    if (runtime.name === 'process') return { env: { [binary.envKey]: binary.path } };
    let hostDir = path.dirname(binary.path);
    if (hostIsRoot) {
      const staged = this.#stagedRuntimes.get(provider) ?? stageRuntimeDir(hostDir, dataDir, provider);
      this.#stagedRuntimes.set(provider, staged);
      hostDir = await staged.catch((error: unknown) => {
        this.#stagedRuntimes.delete(provider);
        throw error;
      });
    }
    const containerDir = path.posix.join(RUNTIMES_SANDBOX_DIR, provider);
    return {
      mount: {
        kind: 'host',
        hostPath: hostDir,
        containerPath: containerDir,
        readonly: true,
        within: hostDir,
      },
      env: { [binary.envKey]: path.posix.join(containerDir, path.basename(binary.path)) },
    };
  }

  #startEgress(
    spec: SandboxSpec,
    env: Record<string, string>,
    profile: ProviderSandboxProfile,
    config: ContainerConfig,
    logger: Logger,
  ): Promise<{ spec: SandboxSpec; stop: () => Promise<void> }> {
    const { options, runtime } = this.#context;
    const plan = planSandboxEgress({ profile, env, hostEnv: options.hostEnv, network: config.network });
    return startPlannedEgress({
      spec,
      plan,
      runtime: runtime.name,
      ...(options.egressDir ? { egressDir: options.egressDir } : {}),
      logger,
    });
  }

  /** Starts the sandbox and its session; a sandbox whose session does not start is killed. */
  async #connect(
    request: AcquireRequest,
    config: ContainerConfig,
    spec: SandboxSpec,
    logger: Logger,
    started: number,
  ): Promise<{ sandbox: AgentSandbox; resumed: boolean }> {
    const { options, runtime, user, closeTimeoutMs } = this.#context;
    if (runtime.name === 'bwrap') await checkReachable(spec.mounts, user);
    const sandbox = await createSandboxConnection({
      runtime,
      spec,
      logger,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? config.timeouts.heartbeatMs,
      idleTimeoutMs: options.idleTimeoutMs ?? config.timeouts.idleMs,
      closeTimeoutMs,
      ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
      onAction: request.onAction,
    });
    const readyMs = Date.now() - started;
    const processRuntime = runtime.name === 'process';
    try {
      const result = await sandbox.startSession({
        provider: request.provider,
        cwd: processRuntime ? translateSandboxPath(SANDBOX_PATHS.group, spec.mounts) : SANDBOX_PATHS.group,
        ...(request.continuation !== undefined ? { continuation: request.continuation } : {}),
        ...(config.model !== undefined ? { model: config.model } : {}),
        ...(config.reasoningEffort !== undefined ? { reasoningEffort: config.reasoningEffort } : {}),
        turnTimeoutMs: config.timeouts.turnMs,
        mcpServers: processRuntime ? translateMcpServers(config.mcpServers, spec.mounts) : config.mcpServers,
      });
      if (request.continuation !== undefined && !result.resumed) {
        logger.warn('the stored continuation could not be resumed; a fresh session was started');
      }
      logger.info(
        {
          sandbox: sandbox.name,
          runtime: runtime.name,
          readyMs,
          totalMs: Date.now() - started,
          resumed: result.resumed,
        },
        'sandbox spawned',
      );
      return { sandbox, resumed: result.resumed };
    } catch (error) {
      await sandbox.kill().catch(() => {});
      throw error;
    }
  }
}

/** Shadowed for the main group: `.env`, `data/`, and the data dir wherever it lies inside the project. */
function shadowCandidates(projectRoot: string, dataDir: string): ShadowTarget[] {
  const candidates = [...DEFAULT_SHADOW_TARGETS];
  const rel = path.relative(projectRoot, dataDir);
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && rel !== 'data') {
    candidates.push({ relPath: rel.split(path.sep).join('/'), type: 'dir' });
  }
  return candidates;
}

async function prepareFolders(paths: HostPaths, providerHomeDir: string): Promise<void> {
  await fs.mkdir(paths.groupDir, { recursive: true });
  await fs.mkdir(paths.globalDir, { recursive: true, mode: 0o755 });
  // <dataDir>/sessions/<id>/home/<homeDir>: the chain is the host's (searchable, not listable), the home the sandbox's.
  // A data dir the host has not created yet is made searchable but not listable (the sandbox user must reach its home).
  await fs.mkdir(paths.dataDir, { recursive: true, mode: 0o711 });
  const chain = [
    path.join(paths.dataDir, 'sessions'),
    paths.sessionDir,
    path.join(paths.sessionDir, 'home'),
    ...providerHomeDir
      .split('/')
      .slice(0, -1)
      .map((_, i, parts) => path.join(paths.sessionDir, 'home', ...parts.slice(0, i + 1))),
  ];
  for (const dir of chain) await ensureDir(dir, 0o711);
  await ensureDir(paths.providerHome, 0o700);
}

/** Creates `dir` with `mode` if missing; an existing one keeps its mode, but must be a real directory. */
async function ensureDir(dir: string, mode: number): Promise<void> {
  try {
    await fs.mkdir(dir, { mode });
    await fs.chmod(dir, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stat = await fs.lstat(dir);
    if (!stat.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  }
}

export async function giveToSandbox(dir: string, user: SandboxOwner, logger: Logger): Promise<void> {
  if (!canChownTree()) {
    logger.warn(
      { dir },
      'cannot hand the folder to the sandbox user on this platform; leaving ownership as is',
    );
    return;
  }
  const { changed, skipped } = await chownTree(dir, user);
  if (changed > 0) logger.debug({ dir, changed, uid: user.uid }, 'handed files to the sandbox user');
  if (skipped.length > 0) {
    logger.warn(
      { dir, skipped: skipped.slice(0, 5), count: skipped.length },
      'left some entries with their owner (hard links, other file systems or too deep)',
    );
  }
}

export async function checkReachable(mounts: readonly SandboxMount[], user: SandboxOwner): Promise<void> {
  for (const mount of mounts) {
    const blocked = await findUntraversable(mount.hostPath, user);
    if (blocked) {
      throw new AgentPoolError(
        'mount-unreachable',
        `the sandbox user ${user.uid}:${user.gid} cannot reach ${mount.hostPath} (mounted at ${mount.containerPath}): ` +
          `${blocked} is not searchable for it; allow it with "chmod o+x ${blocked}" or move the folder`,
      );
    }
  }
}

/** The process runtime runs on the host: sandbox paths in stdio MCP servers are mapped to the mounted host paths. */
function translateMcpServers(
  servers: Readonly<Record<string, McpServerConfig>>,
  mounts: readonly SandboxMount[],
): Record<string, McpServerConfig> {
  return Object.fromEntries(
    Object.entries(servers).map(([name, server]) => [
      name,
      server.type === 'http'
        ? server
        : {
            ...server,
            command: translateSandboxPath(server.command, mounts),
            args: server.args.map((arg) => translateSandboxPath(arg, mounts)),
            env: Object.fromEntries(
              Object.entries(server.env).map(([k, v]) => [k, translateSandboxPath(v, mounts)]),
            ),
          },
    ]),
  );
}
