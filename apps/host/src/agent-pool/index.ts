export type { AgentPoolErrorCode, AgentPoolHandle, AgentPoolOptions } from './agent-pool.js';
export { AgentPoolError, createAgentPool, isAgentPoolError } from './agent-pool.js';
export { DEFAULT_PROVIDER_PROFILES } from './profiles.js';
export type { AgentPoolReaperOptions } from './reaper.js';
export { startAgentPoolReaper } from './reaper.js';
export type { EnsureRunnerImageOptions } from './runner-files.js';
export { DEFAULT_RUNNER_IMAGE, defaultRunnerDist, ensureRunnerImage } from './runner-files.js';
export type {
  AcquiredSandbox,
  AcquireRequest,
  AgentPool,
  ProviderSandboxProfile,
  SandboxChange,
  SandboxState,
  SandboxSummary,
  ToolRunRequest,
  ToolRunResult,
} from './types.js';
