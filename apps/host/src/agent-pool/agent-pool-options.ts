import type { SandboxOwner } from '@nanoclaw/container-runner';
import type { ContainerConfig, ContainerRuntime, Logger } from '@nanoclaw/core';
import type { SandboxImages } from '@nanoclaw/sandbox-image';
import type { ProviderSandboxProfile, SandboxChange } from './types.js';

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
  /** Told synchronously when a sandbox starts, begins or ends a run, or stops (a throw is logged). */
  onSandboxChange?: (change: SandboxChange) => void;
  /** Parent of the per-sandbox egress socket directories (default the OS temp dir: socket paths stay short). */
  egressDir?: string;
}
