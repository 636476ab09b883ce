import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type AgentSandbox,
  buildMounts,
  buildSandboxEnv,
  buildSandboxSpec,
  canChownTree,
  chownTree,
  createSandboxConnection,
  DEFAULT_SHADOW_TARGETS,
  type DockerRuntime,
  defaultMountAllowlistPath,
  defaultSandboxUser,
  findShadowTargets,
  findUntraversable,
  loadMountAllowlist,
  noopLogger,
  type OrphanReaper,
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
import {
  type ContainerConfig,
  type ContainerRuntime,
  containerConfigSchema,
  type Logger,
  type McpServerConfig,
  type SandboxMount,
  type SandboxSpec,
} from '@nanoclaw/core';
import { createSandboxImages, type SandboxImages } from '@nanoclaw/sandbox-image';
import { DEFAULT_PROVIDER_PROFILES } from './profiles.js';
import { startAgentPoolReaper } from './reaper.js';
import {
  DEFAULT_RUNNER_IMAGE,
  defaultRunnerDist,
  defaultScratchImageScript,
  ensureRunnerImage,
  isUserBuiltImage,
} from './runner-files.js';
import { stageRunnerBundle } from './runner-stage.js';
import { stageRuntimeDir } from './runtime-stage.js';
import { planSandboxEgress, startPlannedEgress, usesEgressProxy } from './sandbox-egress-plan.js';
import { type SandboxPlacement, UserlandError, UserlandPlanner } from './sandbox-userland.js';
import type { AcquiredSandbox, AcquireRequest, AgentPool, ProviderSandboxProfile } from './types.js';
import { dockerCliOf, USERLAND_RUNNER_TITLE } from './userland-images.js';

export type AgentPoolErrorCode =
  | 'closed'
  | 'unknown-provider'
  | 'session-busy'
  | 'runner-missing'
  | 'mount-unreachable'
  /** The group's `packages` cannot be installed (a package that does not exist, no way to build here). */
  | 'invalid-packages'
  /**
   * The agent userland could not be built (the mirror did not answer, the disk is full, an install script
   * failed): answered at once with the cause and the next step; the next message tries again (after a minute).
   */
  | 'userland-failed';

export class AgentPoolError extends Error {
  override readonly name = 'AgentPoolError';
  constructor(
    readonly code: AgentPoolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isAgentPoolError(error: unknown): error is AgentPoolError {
  return error instanceof AgentPoolError;
}

export interface AgentPoolOptions {
  runtime: ContainerRuntime;
  /** The project checkout / install root (the main group sees it read-only at /workspace/project). */
  projectRoot: string;
  /** Default `<projectRoot>/groups` (`NANOCLAW_GROUPS_DIR`). */
  groupsDir?: string;
  /** Default `<projectRoot>/data` (`NANOCLAW_DATA_DIR`); session homes live in `<dataDir>/sessions/`. */
  dataDir?: string;
  /** Labels every sandbox; the orphan reaper only touches sandboxes with this id. */
  installId: string;
  /** The built agent-runner bundle, mounted at /app for bwrap/process. Default: this checkout's apps/agent-runner/dist. */
  runnerDist?: string;
  /**
   * Image for docker/apple. Default: a runner image the host builds on the agent userland (see `userland`), or
   * `nanoclaw/agent-runner:local` when that exists and was built by the user (docker/agent-runner.Dockerfile).
   */
  image?: string;
  /**
   * The agent userland (bash, git, python3, ... built offline with mmdebstrap) bwrap and docker sandboxes run
   * on, with each group's `packages`. Default: `createSandboxImages()` (its default cache). `false`: the runtime's
   * minimal tree (node only, no shell).
   */
  userland?: SandboxImages | false;
  /**
   * docker: build a missing image without any registry via docker/build-scratch-image.sh from `runnerDist`
   * (default true; false makes a missing image a spawn error).
   */
  buildMissingImage?: boolean;
  /** Default: docker/build-scratch-image.sh of the project root or of this checkout. */
  scratchImageScript?: string;
  /** The docker CLI's env for the image build (default `process.env`; only DOCKER_*, HOME, PATH, XDG_* are read). */
  dockerEnv?: Readonly<Record<string, string | undefined>>;
  /** Where allowlisted values come from (the host's config / env). Nothing else from it reaches a sandbox. */
  hostEnv: Readonly<Record<string, string | undefined>>;
  /** Per provider id; merged over `DEFAULT_PROVIDER_PROFILES`. A provider without a profile cannot be spawned. */
  profiles?: Readonly<Record<string, ProviderSandboxProfile>>;
  /** The group's parsed `container.json` (null/undefined: defaults). */
  getContainerConfig(
    groupId: string,
  ): ContainerConfig | null | undefined | Promise<ContainerConfig | null | undefined>;
  /** TZ inside the sandbox (the host's `TZ`). */
  timezone?: string;
  logger?: Logger;
  /** Default `~/.config/nanoclaw/mount-allowlist.json` (XDG_CONFIG_HOME of `hostEnv` respected). */
  mountAllowlistPath?: string;
  /** Default `defaultSandboxUser()`: 1000:1000 when the host runs as root, else the host user. */
  sandboxUser?: SandboxOwner;
  /** Runner essentials added to every sandbox env (e.g. `NANOCLAW_LOG_LEVEL`). */
  runnerEnv?: Readonly<Record<string, string>>;
  /** Overrides container.json `timeouts.heartbeatMs` (tests). */
  heartbeatTimeoutMs?: number;
  /** Overrides container.json `timeouts.idleMs` (tests). */
  idleTimeoutMs?: number;
  /** How long a spawn waits for `runner/ready` (default 60 s). */
  readyTimeoutMs?: number;
  /** How long a graceful close waits for the runner to exit before the sandbox is killed (default 5 s). */
  closeTimeoutMs?: number;
  /** How long `acquire` waits for the session's sandbox to finish an earlier run (default 5 s). */
  busyWaitMs?: number;
  /**
   * Orphan reaping (sandboxes labelled with `installId` that no live session owns): at creation and every
   * `intervalMs` (default 5 min); stopped by `closeAll`. `false` turns it off.
   */
  reaper?: false | { intervalMs?: number };
  /** Parent of the per-sandbox egress socket directories (default the OS temp dir: socket paths stay short). */
  egressDir?: string;
}

export interface AgentPoolHandle extends AgentPool {
  /** Session ids that have a sandbox spawning right now (included in `liveSessions`). */
  readonly spawning: readonly string[];
  /**
   * Builds what a first spawn needs ahead of time: the base agent userland (about a minute, once per machine;
   * progress in the log) and, for docker, the runner image on it. Rejects with the reason when it cannot.
   */
  prepare(): Promise<void>;
}

interface PoolEntry {
  sessionId: string;
  groupFolder: string;
  fingerprint: string;
  sandbox: AgentSandbox;
  resumed: boolean;
  gone: boolean;
  /** Resolves once the sandbox is gone and its egress proxy (if any) is stopped. */
  released: Promise<void>;
}

interface SpawnResult {
  entry: PoolEntry;
  resumed: boolean;
}

/** Where providers' native programs appear inside a sandbox (read-only). */
const RUNTIMES_SANDBOX_DIR = '/opt/nanoclaw/runtimes';

/**
 * One live sandbox per session, running the real agent runner, reused between runs (warm) and closed when idle.
 *
 * Ownership: a sandbox runs as `sandboxUser` (1000:1000 when the host is root). When the host runs as root
 * (and the runtime isolates: not `process`), every cold spawn hands the group folder and the session's provider
 * home to that uid with `chownTree` (recursive, lchown, never following a symlink, never leaving the folder),
 * so files the host wrote there stay writable by the agent. The session dirs the pool creates
 * (`<dataDir>/sessions/<id>/home/…`) are 0711 (traversable, not listable). For bubblewrap, which binds each
 * mount source as the sandbox uid, every directory on the way to a mount source must be searchable by that uid;
 * a spawn that would fail on that names the directory instead.
 */
export function createAgentPool(options: AgentPoolOptions): AgentPoolHandle {
  const runtime = options.runtime;
  const logger = (options.logger ?? noopLogger).child({ component: 'agent-pool' });
  const projectRoot = path.resolve(options.projectRoot);
  const groupsDir = path.resolve(options.groupsDir ?? path.join(projectRoot, 'groups'));
  const dataDir = path.resolve(options.dataDir ?? path.join(projectRoot, 'data'));
  const runnerDist = path.resolve(options.runnerDist ?? defaultRunnerDist(projectRoot));
  let stagedBundle: Promise<string> | undefined;
  /**
   * The bundle folder a sandbox mounts at /app. When the sandbox runs as another uid than the host (root host,
   * isolated runtime), a staged copy in the data dir, since the checkout may not be traversable for it.
   */
  const runnerBundleFor = (): Promise<string> => {
    if (!(hostIsRoot && runtime.name !== 'process')) return Promise.resolve(runnerDist);
    stagedBundle ??= stageRunnerBundle(runnerDist, dataDir);
    return stagedBundle;
  };
  const stagedRuntimes = new Map<string, Promise<string>>();
  /**
   * The provider's native program as the sandbox sees it: its folder mounted read-only at
   * `/opt/nanoclaw/runtimes/<id>` (staged into the data dir when the sandbox runs as another uid), its path in
   * the profile's env key. The process runtime gets the host path as it is.
   */
  const runtimeBinaryFor = async (
    provider: string,
    profile: ProviderSandboxProfile,
  ): Promise<{ mount?: PlannedMount; env: Record<string, string> } | undefined> => {
    const binary = profile.resolveBinary?.();
    if (!binary) return undefined;
    if (runtime.name === 'process') return { env: { [binary.envKey]: binary.path } };
    let hostDir = path.dirname(binary.path);
    if (hostIsRoot) {
      const staged = stagedRuntimes.get(provider) ?? stageRuntimeDir(hostDir, dataDir, provider);
      stagedRuntimes.set(provider, staged);
      hostDir = await staged.catch((error: unknown) => {
        stagedRuntimes.delete(provider);
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
  };
  const image = options.image ?? DEFAULT_RUNNER_IMAGE;
  const usesImage = runtime.name === 'docker' || runtime.name === 'apple';
  const profiles: Record<string, ProviderSandboxProfile> = {
    ...DEFAULT_PROVIDER_PROFILES,
    ...options.profiles,
  };
  const user = options.sandboxUser ?? defaultSandboxUser();
  const hostIsRoot = process.getuid?.() === 0;
  const busyWaitMs = options.busyWaitMs ?? 5_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  const allowlistPath = options.mountAllowlistPath ?? defaultMountAllowlistPath(options.hostEnv);

  const live = new Map<string, PoolEntry>();
  const spawning = new Map<string, Promise<SpawnResult>>();
  let closing = false;
  let imageReady: Promise<unknown> | undefined;
  let reaper: OrphanReaper | undefined;

  if (runtime.name === 'process') {
    logger.warn(
      "agent pool on the process runtime: agents run WITHOUT isolation (development only); the groups' network and limits are not enforced",
    );
  }

  /** The docker CLI as the runtime runs it (same engine), unless the options name the env. */
  const dockerCli = () => {
    const docker = runtime as Partial<Pick<DockerRuntime, 'binary' | 'clientEnv'>>;
    return { binary: docker.binary ?? 'docker', env: options.dockerEnv ?? docker.clientEnv ?? process.env };
  };
  const planner = new UserlandPlanner({
    runtime,
    images:
      options.userland === false
        ? undefined
        : (options.userland ?? createSandboxImages({ logger: logger.child({ component: 'userland' }) })),
    user,
    hostIsRoot,
    runnerDist: async () => runnerDist,
    ...(runtime.name === 'docker' ? { docker: dockerCliOf(runtime as DockerRuntime, dockerCli().env) } : {}),
    logger,
  });
  /** docker: an image the user built themselves (or named in `options.image`) is used as it is. */
  let ownImage: Promise<string | undefined> | undefined;
  const usersImage = (): Promise<string | undefined> => {
    if (options.image) return Promise.resolve(options.image);
    if (runtime.name !== 'docker') return Promise.resolve(undefined);
    ownImage ??= isUserBuiltImage(runtime, DEFAULT_RUNNER_IMAGE, dockerCli().env, [
      USERLAND_RUNNER_TITLE,
    ]).then(
      (userBuilt) => (userBuilt ? DEFAULT_RUNNER_IMAGE : undefined),
      (error: unknown) => {
        // The engine did not answer: ask again next time instead of failing every sandbox from now on.
        ownImage = undefined;
        throw error;
      },
    );
    return ownImage;
  };
  let warnedProcessPackages = false;

  /** What the group's sandbox runs on: the userland (tree or image, with its packages), else the fallback. */
  const placeSandbox = async (folder: string, config: ContainerConfig): Promise<SandboxPlacement> => {
    const wanted = config.packages.apt.length + config.packages.npm.length > 0;
    if (usesImage) {
      const own = await usersImage();
      if (own && wanted) {
        throw new AgentPoolError(
          'invalid-packages',
          `groups/${folder}.container.json "packages" are built on the image the host makes; ${own} is your own: install them in it`,
        );
      }
      if (own) {
        // A missing image named in the options is built as the registry-free scratch image, as before.
        if (options.image) await ensureImage();
        return { image: own, mounts: [] };
      }
    }
    if (runtime.name === 'process' && wanted && !warnedProcessPackages) {
      warnedProcessPackages = true;
      logger.warn(
        { group: folder },
        'the process runtime runs agents on the host: the group\'s "packages" are not installed',
      );
    }
    try {
      const userland = await planner.groupUserland(folder, config.packages);
      if (userland) return await planner.placement(userland);
    } catch (error) {
      if (!(error instanceof UserlandError)) throw error;
      throw new AgentPoolError(error.key ? 'invalid-packages' : 'userland-failed', error.message, {
        cause: error,
      });
    }
    if (runtime.name === 'docker') await ensureImage();
    return { ...(usesImage ? { image } : {}), mounts: [] };
  };

  const ensureImage = (): Promise<unknown> => {
    if (runtime.name !== 'docker' || options.buildMissingImage === false) return Promise.resolve();
    imageReady ??= ensureRunnerImage({
      runtime,
      image,
      runnerDist,
      script: options.scratchImageScript ?? defaultScratchImageScript(projectRoot),
      dockerEnv: dockerCli().env,
      uid: user.uid,
      logger,
    }).catch((error: unknown) => {
      imageReady = undefined;
      throw error;
    });
    return imageReady;
  };

  const profileFor = (provider: string): ProviderSandboxProfile => {
    const profile = Object.hasOwn(profiles, provider) ? profiles[provider] : undefined;
    if (!profile) {
      throw new AgentPoolError(
        'unknown-provider',
        `no sandbox profile for provider "${provider}" (known: ${Object.keys(profiles).sort().join(', ')})`,
      );
    }
    return profile;
  };

  const loadConfig = async (groupId: string): Promise<ContainerConfig> =>
    (await options.getContainerConfig(groupId)) ?? containerConfigSchema.parse({});

  /** Shadowed for the main group: `.env`, `data/`, and the data dir wherever it lies inside the project. */
  const shadowCandidates = (): ShadowTarget[] => {
    const candidates = [...DEFAULT_SHADOW_TARGETS];
    const rel = path.relative(projectRoot, dataDir);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && rel !== 'data') {
      candidates.push({ relPath: rel.split(path.sep).join('/'), type: 'dir' });
    }
    return candidates;
  };

  const spawnSandbox = async (
    request: AcquireRequest,
    config: ContainerConfig,
    fingerprint: string,
  ): Promise<SpawnResult> => {
    const started = Date.now();
    const sessionId = request.session.id;
    const folder = request.group.folder;
    const isMain = request.group.isMain;
    const profile = profileFor(request.provider);
    const sandboxLogger = logger.child({ group: folder, session: sessionId, provider: request.provider });
    const mountBase = {
      projectRoot,
      groupsDir,
      dataDir,
      groupFolder: folder,
      isMain,
      sessionId,
      providerHomeDir: profile.homeDir,
    };
    // Validates folder, session id and home dir before anything touches the disk.
    buildMounts({ ...mountBase, isMain: false });
    const paths = sandboxHostPaths(mountBase);

    if (!usesImage && !existsSync(path.join(runnerDist, 'main.js'))) {
      throw new AgentPoolError(
        'runner-missing',
        `the agent runner is not built: ${runnerDist}/main.js is missing (build @nanoclaw/agent-runner)`,
      );
    }
    await prepareFolders(paths, profile.homeDir);
    const egressed = usesEgressProxy(runtime.name, config.network);
    await profile.prepareHome?.({ homePath: paths.providerHome, env: options.hostEnv, egress: egressed });
    if (hostIsRoot && runtime.name !== 'process') {
      await giveToSandbox(paths.groupDir, user, sandboxLogger);
      await giveToSandbox(paths.providerHome, user, sandboxLogger);
    }

    let shadow: { targets: ShadowTarget[]; emptyFile: string; emptyDir: string } | undefined;
    if (isMain) {
      const targets = await findShadowTargets(projectRoot, shadowCandidates());
      if (targets.length > 0) {
        shadow = { targets, ...(await prepareShadowSources(path.join(dataDir, 'sandbox', 'shadow'))) };
      }
    }
    let additionalMounts: PlannedMount[] = [];
    if (config.additionalMounts.length > 0) {
      const resolved = await resolveAdditionalMounts(config.additionalMounts, {
        allowlist: await loadMountAllowlist(allowlistPath),
        isMain,
        allowlistPath,
        protectedPaths: [projectRoot, groupsDir, dataDir],
      });
      for (const { mount, reason } of resolved.rejected) {
        sandboxLogger.warn(
          { hostPath: mount.hostPath, containerPath: mount.containerPath, reason, allowlist: allowlistPath },
          'additional mount refused',
        );
      }
      for (const { mount, reason } of resolved.downgraded) {
        sandboxLogger.info(
          { hostPath: mount.hostPath, containerPath: mount.containerPath, reason },
          'additional mount is read-only',
        );
      }
      additionalMounts = resolved.mounts;
    }
    const binary = await runtimeBinaryFor(request.provider, profile);
    const placement = await placeSandbox(folder, config);
    const mounts: PlannedMount[] = [
      ...buildMounts({ ...mountBase, ...(shadow ? { shadow } : {}), additionalMounts }),
      ...(usesImage ? [] : [runnerAppMount(await runnerBundleFor())]),
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
    let spec: SandboxSpec = buildSandboxSpec({
      installId: options.installId,
      groupFolder: folder,
      sessionId,
      ...(placement.image ? { image: placement.image } : {}),
      ...(placement.rootfs ? { rootfs: placement.rootfs } : {}),
      env,
      mounts,
      network: config.network === 'full' ? 'full' : 'none',
      limits: config.limits,
      user,
    });

    let stopEgress = (): Promise<void> => Promise.resolve();
    try {
      if (egressed) {
        const plan = planSandboxEgress({ profile, env, hostEnv: options.hostEnv, network: config.network });
        const started = await startPlannedEgress({
          spec,
          plan,
          runtime: runtime.name,
          ...(options.egressDir ? { egressDir: options.egressDir } : {}),
          logger: sandboxLogger,
        });
        spec = started.spec;
        stopEgress = started.stop;
      }
      if (runtime.name === 'bwrap') await checkReachable(spec.mounts, user);

      const sandbox = await createSandboxConnection({
        runtime,
        spec,
        logger: sandboxLogger,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? config.timeouts.heartbeatMs,
        idleTimeoutMs: options.idleTimeoutMs ?? config.timeouts.idleMs,
        closeTimeoutMs,
        ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
        onAction: request.onAction,
      });
      const readyMs = Date.now() - started;
      const entry: PoolEntry = {
        sessionId,
        groupFolder: folder,
        fingerprint,
        sandbox,
        resumed: false,
        gone: false,
        released: sandbox.closed
          .then(async ({ reason, exit }) => {
            entry.gone = true;
            if (live.get(sessionId) === entry) live.delete(sessionId);
            await stopEgress();
            sandboxLogger.info({ sandbox: sandbox.name, reason, exit }, 'sandbox left the pool');
          })
          .catch(() => {}),
      };
      let result: Awaited<ReturnType<AgentSandbox['startSession']>>;
      try {
        result = await sandbox.startSession({
          provider: request.provider,
          cwd:
            runtime.name === 'process'
              ? translateSandboxPath(SANDBOX_PATHS.group, spec.mounts)
              : SANDBOX_PATHS.group,
          ...(request.continuation !== undefined ? { continuation: request.continuation } : {}),
          ...(config.model !== undefined ? { model: config.model } : {}),
          ...(config.reasoningEffort !== undefined ? { reasoningEffort: config.reasoningEffort } : {}),
          turnTimeoutMs: config.timeouts.turnMs,
          mcpServers:
            runtime.name === 'process'
              ? translateMcpServers(config.mcpServers, spec.mounts)
              : config.mcpServers,
        });
      } catch (error) {
        await sandbox.kill().catch(() => {});
        throw error;
      }
      entry.resumed = result.resumed;
      if (closing) {
        await sandbox.kill().catch(() => {});
        throw new AgentPoolError('closed', 'the agent pool is closing');
      }
      if (request.continuation !== undefined && !result.resumed) {
        sandboxLogger.warn('the stored continuation could not be resumed; a fresh session was started');
      }
      if (!entry.gone) live.set(sessionId, entry);
      sandboxLogger.info(
        {
          sandbox: sandbox.name,
          runtime: runtime.name,
          readyMs,
          totalMs: Date.now() - started,
          resumed: result.resumed,
        },
        'sandbox spawned',
      );
      return { entry, resumed: result.resumed };
    } catch (error) {
      await stopEgress();
      throw error;
    }
  };

  const closeEntry = async (entry: PoolEntry, how: 'close' | 'kill'): Promise<void> => {
    if (live.get(entry.sessionId) === entry) live.delete(entry.sessionId);
    if (how === 'kill') {
      await entry.sandbox.kill();
    } else {
      // close() kills after closeTimeoutMs itself; the guard only bounds a runtime that hangs while stopping.
      const finished = await Promise.race([
        entry.sandbox.close().then(() => true),
        delay(closeTimeoutMs * 2 + 10_000).then(() => false),
      ]);
      if (!finished) await entry.sandbox.kill();
    }
    await entry.released;
  };

  const waitIdle = async (entry: PoolEntry): Promise<void> => {
    const deadline = Date.now() + busyWaitMs;
    while (entry.sandbox.busy && !entry.gone && Date.now() < deadline) await delay(25);
    if (entry.sandbox.busy && !entry.gone) {
      throw new AgentPoolError(
        'session-busy',
        `session ${entry.sessionId} still has a run in progress after ${busyWaitMs} ms; discard it first`,
      );
    }
  };

  const acquire = async (request: AcquireRequest): Promise<AcquiredSandbox> => {
    const sessionId = request.session.id;
    const config = await loadConfig(request.group.id);
    const fingerprint = fingerprintOf(request, config);
    for (;;) {
      if (closing) throw new AgentPoolError('closed', 'the agent pool is closed');
      const pending = spawning.get(sessionId);
      if (pending) {
        // One spawn per session: wait for it (its error is ours too), then decide again.
        const { entry, resumed } = await pending;
        if (!entry.gone && entry.fingerprint === fingerprint && live.get(sessionId) === entry) {
          entry.sandbox.onAction(request.onAction);
          return { sandbox: entry.sandbox, resumed, spawned: false };
        }
        continue;
      }
      const current = live.get(sessionId);
      if (current && !current.gone) {
        if (current.sandbox.busy) {
          await waitIdle(current);
          continue;
        }
        if (current.fingerprint === fingerprint) {
          current.sandbox.onAction(request.onAction);
          // The live session goes on: nothing was started afresh.
          return { sandbox: current.sandbox, resumed: true, spawned: false };
        }
        logger.info(
          { session: sessionId, group: current.groupFolder },
          'provider or settings changed: replacing the session sandbox',
        );
        await closeEntry(current, 'close');
        continue;
      }
      const spawn = spawnSandbox(request, config, fingerprint);
      spawning.set(sessionId, spawn);
      try {
        const { entry, resumed } = await spawn;
        return { sandbox: entry.sandbox, resumed, spawned: true };
      } finally {
        if (spawning.get(sessionId) === spawn) spawning.delete(sessionId);
      }
    }
  };

  const pool: AgentPoolHandle = {
    acquire,
    async prepare() {
      await placeSandbox('main', containerConfigSchema.parse({}));
    },
    async discard(sessionId) {
      const pending = spawning.get(sessionId);
      if (pending) await pending.catch(() => undefined);
      const entry = live.get(sessionId);
      if (entry) await closeEntry(entry, 'kill');
    },
    liveSessions() {
      return [...new Set([...live.keys(), ...spawning.keys()])];
    },
    get spawning() {
      return [...spawning.keys()];
    },
    async closeAll() {
      closing = true;
      reaper?.stop();
      await Promise.allSettled([...spawning.values()]);
      await Promise.allSettled([...live.values()].map((entry) => closeEntry(entry, 'close')));
    },
  };

  if (options.reaper !== false) {
    reaper = startAgentPoolReaper({
      pool,
      runtime,
      installId: options.installId,
      logger,
      ...(options.reaper?.intervalMs !== undefined ? { intervalMs: options.reaper.intervalMs } : {}),
    });
  }
  return pool;

  async function prepareFolders(
    paths: ReturnType<typeof sandboxHostPaths>,
    providerHomeDir: string,
  ): Promise<void> {
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

async function giveToSandbox(dir: string, user: SandboxOwner, logger: Logger): Promise<void> {
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

async function checkReachable(mounts: readonly SandboxMount[], user: SandboxOwner): Promise<void> {
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

/** What a live sandbox was spawned with: a change means the next acquire replaces it. */
function fingerprintOf(request: AcquireRequest, config: ContainerConfig): string {
  return JSON.stringify([
    request.provider,
    request.group.id,
    request.group.folder,
    request.group.isMain,
    config.model ?? null,
    config.reasoningEffort ?? null,
    config.env,
    config.additionalMounts,
    config.limits,
    config.network,
    config.timeouts,
    config.mcpServers,
    config.packages,
  ]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
