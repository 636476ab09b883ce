/** Kept for existing callers: core's `silentLogger`. */
export { silentLogger as noopLogger } from '@nanoclaw/core';
export type { AsyncQueue } from './async-queue.js';
export type { DetectedRuntime, RuntimeOptions } from './detect.js';
export { createRuntime, detectRuntime } from './detect.js';
export type { SandboxErrorCode } from './errors.js';
export { isSandboxError, SandboxError } from './errors.js';
export type { ReadGroupFileOptions } from './group-files.js';
export { readGroupFile } from './group-files.js';
export type {
  AllowedRoot,
  MountAllowlist,
  RejectedMount,
  ResolveAdditionalMountsOptions,
  ResolvedAdditionalMounts,
} from './mount-allowlist.js';
export {
  DEFAULT_BLOCKED_PATTERNS,
  defaultMountAllowlistPath,
  EMPTY_MOUNT_ALLOWLIST,
  loadMountAllowlist,
  matchBlockedPattern,
  parseMountAllowlist,
  resolveAdditionalMounts,
} from './mount-allowlist.js';
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
export { blockedRange, createAddressPolicy, interfaceAddresses } from './proxy/address-policy.js';
export type { EgressProxy, EgressProxyOptions, EgressProxyStats, EgressRoute } from './proxy/egress-proxy.js';
export { createEgressProxy, routeEgressRequest } from './proxy/egress-proxy.js';
export { EGRESS_RELAY_FILE, EGRESS_RELAY_SOURCE, writeEgressRelay } from './proxy/egress-relay.js';
export type { EgressResolver } from './proxy/internet-egress.js';
export type { SandboxEgress, StartSandboxEgressOptions } from './proxy/sandbox-egress.js';
export {
  applyEgressToSpec,
  DEFAULT_EGRESS_PORT,
  EGRESS_PLACEHOLDER_SECRET,
  EGRESS_SOCKET_FILE,
  sandboxHostUser,
  startSandboxEgress,
} from './proxy/sandbox-egress.js';
export type { OrphanReaper, ReapOrphansOptions, ReapResult } from './reaper.js';
export { reapOrphans, SANDBOX_LABELS, sandboxLabels, startOrphanReaper } from './reaper.js';
export type { CommandResult, PipelineCommand, RunCommandOptions } from './run-command.js';
export { runCommand, runPipeline, runSandboxToExit } from './run-command.js';
export type { AppleRunInvocation, AppleRuntimeOptions } from './runtimes/apple.js';
export { buildAppleRunArgs, createAppleRuntime, parseAppleList } from './runtimes/apple.js';
export type {
  BuildBwrapArgsOptions,
  BwrapInvocation,
  BwrapRuntime,
  BwrapRuntimeOptions,
  BwrapSandboxProcess,
} from './runtimes/bwrap.js';
export { buildBwrapArgs, createBwrapRuntime, sandboxAccounts } from './runtimes/bwrap.js';
export type { DockerRunInvocation, DockerRuntime, DockerRuntimeOptions } from './runtimes/docker.js';
export {
  buildDockerRunArgs,
  createDockerRuntime,
  dockerClientEnv,
  isClientReservedEnvKey,
  parseDockerInspect,
} from './runtimes/docker.js';
export { findHostBinary } from './runtimes/host-binary.js';
export type { AppliedLimits, CgroupPlan, CgroupSupport } from './runtimes/limits.js';
export {
  buildPrlimitArgs,
  detectCgroupSupport,
  planCgroupV1,
  planCgroupV2,
  readCgroupLimits,
} from './runtimes/limits.js';
export type { ProcessRuntimeOptions } from './runtimes/process.js';
export { createProcessRuntime, translateSandboxPath } from './runtimes/process.js';
export type { EnsureRuntimeTreeOptions, TreeEntry } from './runtimes/runtime-tree.js';
export { ensureRuntimeTree, parseLddOutput, runtimeTreeLayout } from './runtimes/runtime-tree.js';
export { SANDBOX_NAME_PATTERN } from './runtimes/spec-checks.js';
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
export { buildSandboxEnv, RESERVED_SANDBOX_ENV_KEYS } from './sandbox-env.js';
export type { BuildSandboxSpecOptions } from './sandbox-spec.js';
export {
  buildSandboxSpec,
  DEFAULT_RUNNER_COMMAND,
  defaultSandboxUser,
  RUNNER_APP_PATH,
  runnerAppMount,
  sandboxName,
} from './sandbox-spec.js';
