/**
 * `@nanoclaw/container-runner`: choosing and creating a sandbox runtime (docker, bwrap, apple, process), what a
 * sandbox sees (spec, env, mounts, group files), egress through the host's proxy, the connection to the runner
 * inside, and the orphan reaper. The pure pieces behind the runtimes are in `./internal`; test helpers in `./test`.
 */
// Kept for existing callers: core's `silentLogger`.
export { silentLogger as noopLogger } from '@nanoclaw/core';
export type { DetectedRuntime, RuntimeOptions } from './detect.js';
export { createRuntime, detectRuntime } from './detect.js';
export type { SandboxErrorCode } from './errors.js';
export { isSandboxError, SandboxError } from './errors.js';
export type { OpenedGroupFile, ReadGroupFileOptions } from './group-files.js';
export { openGroupFile, readGroupFile } from './group-files.js';
export type {
  AllowedRoot,
  MountAllowlist,
  RejectedMount,
  ResolveAdditionalMountsOptions,
  ResolvedAdditionalMounts,
} from './mount-allowlist.js';
export { defaultMountAllowlistPath, loadMountAllowlist, resolveAdditionalMounts } from './mount-allowlist.js';
export type {
  BuildMountsOptions,
  MountKind,
  PlannedMount,
  ShadowTarget,
  VerifyMountsOptions,
} from './mounts.js';
export {
  buildMounts,
  DEFAULT_SHADOW_TARGETS,
  findShadowTargets,
  prepareShadowSources,
  SANDBOX_PATHS,
  sandboxHostPaths,
  verifyMounts,
} from './mounts.js';
export type { ChownTreeOptions, ChownTreeResult, SandboxOwner } from './ownership.js';
export { canChownTree, chownTree, findUntraversable } from './ownership.js';
export type { AddressPolicy, AddressPolicyOptions } from './proxy/address-policy.js';
export { createAddressPolicy } from './proxy/address-policy.js';
export type { EgressProxy, EgressProxyStats, EgressRoute } from './proxy/egress-proxy.js';
export { routeEgressRequest } from './proxy/egress-proxy.js';
export type { EgressResolver } from './proxy/internet-egress.js';
export type { SandboxEgress, StartSandboxEgressOptions } from './proxy/sandbox-egress.js';
export {
  applyEgressToSpec,
  EGRESS_PLACEHOLDER_SECRET,
  sandboxHostUser,
  startSandboxEgress,
} from './proxy/sandbox-egress.js';
export type { OrphanReaper, ReapOrphansOptions, ReapResult } from './reaper.js';
export { reapOrphans, SANDBOX_LABELS, startOrphanReaper } from './reaper.js';
export type { CommandResult, PipelineCommand, RunCommandOptions } from './run-command.js';
export { runCommand, runPipeline, runSandboxToExit } from './run-command.js';
export type { AppleRuntimeOptions } from './runtimes/apple.js';
export { createAppleRuntime } from './runtimes/apple.js';
export type { BwrapRuntime, BwrapRuntimeOptions, BwrapSandboxProcess } from './runtimes/bwrap.js';
export { createBwrapRuntime, sandboxAccounts } from './runtimes/bwrap.js';
export type { DockerRuntime, DockerRuntimeOptions } from './runtimes/docker.js';
export { createDockerRuntime, dockerClientEnv } from './runtimes/docker.js';
export { findHostBinary } from './runtimes/host-binary.js';
export type { AppliedLimits } from './runtimes/limits.js';
export type { ProcessRuntimeOptions } from './runtimes/process.js';
export { createProcessRuntime, translateSandboxPath } from './runtimes/process.js';
export type { EnsureRuntimeTreeOptions } from './runtimes/runtime-tree.js';
export { ensureRuntimeTree } from './runtimes/runtime-tree.js';
export type {
  ActionHandler,
  AgentSandbox,
  RunnerInfo,
  RunOptions,
  SandboxClosed,
  SandboxCloseReason,
  SandboxConnectionOptions,
  SessionStartInput,
} from './sandbox-connection.js';
export { createSandboxConnection } from './sandbox-connection.js';
export type { BuildSandboxEnvOptions } from './sandbox-env.js';
export { buildSandboxEnv } from './sandbox-env.js';
export type { BuildSandboxSpecOptions } from './sandbox-spec.js';
export { buildSandboxSpec, defaultSandboxUser, runnerAppMount } from './sandbox-spec.js';
