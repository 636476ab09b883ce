/**
 * `@nanoclaw/container-runner/internal`: the pure pieces behind the runtimes (argv builders, CLI output parsers,
 * cgroup and prlimit planning, the runtime tree's layout), for tests and tools that inspect what a runtime would
 * run. Not a stable API: names here may change in any release.
 */
export { matchBlockedPattern } from './mount-allowlist.js';
export { blockedRange, interfaceAddresses } from './proxy/address-policy.js';
export { EGRESS_RELAY_SOURCE } from './proxy/egress-relay.js';
export type { AppleRunInvocation } from './runtimes/apple.js';
export { buildAppleRunArgs, parseAppleList } from './runtimes/apple.js';
export type { BuildBwrapArgsOptions, BwrapInvocation } from './runtimes/bwrap.js';
export { buildBwrapArgs } from './runtimes/bwrap.js';
export type { DockerRunInvocation } from './runtimes/docker.js';
export { buildDockerRunArgs, isClientReservedEnvKey, parseDockerInspect } from './runtimes/docker.js';
export type { CgroupPlan, CgroupSupport } from './runtimes/limits.js';
export {
  buildPrlimitArgs,
  detectCgroupSupport,
  planCgroupV1,
  planCgroupV2,
  readCgroupLimits,
} from './runtimes/limits.js';
export type { TreeEntry } from './runtimes/runtime-tree.js';
export { parseLddOutput, runtimeTreeLayout } from './runtimes/runtime-tree.js';
