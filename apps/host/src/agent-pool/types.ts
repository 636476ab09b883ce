import type { ActionHandler, AgentSandbox } from '@nanoclaw/container-runner';
import type { ProviderHostContribution } from '@nanoclaw/core';

/**
 * What the host needs to know of a provider to run it in a sandbox: that part of a `ProviderHostContribution`, so the
 * provider package's contribution fits as it is.
 */
export type ProviderSandboxProfile = Pick<
  ProviderHostContribution,
  | 'envAllowlist'
  | 'credentialEnvKeys'
  | 'homeDir'
  | 'agentContext'
  | 'prepareHome'
  | 'egress'
  | 'resolveBinary'
>;

export interface AcquireRequest {
  group: { id: string; folder: string; isMain: boolean };
  /** `key` (`main`, `task:<id>`, a thread's key) is what the sandbox list shows; default: the id. */
  session: { id: string; key?: string };
  /** The provider resolved by the host (passed explicitly to the runner). */
  provider: string;
  /** The stored continuation for this session and provider, if any. */
  continuation?: string;
  /** Handles the agent's tool calls for the run about to start; bound to this group's connection. */
  onAction: ActionHandler;
}

export interface AcquiredSandbox {
  sandbox: AgentSandbox;
  /** False when a stored continuation could not be resumed and a fresh session was started. */
  resumed: boolean;
  /** True when this call spawned the sandbox (cold), false when a live one was reused (warm). */
  spawned: boolean;
}

/** Live sandboxes, one per session, reused between runs and closed when idle. */
export interface AgentPool {
  acquire(request: AcquireRequest): Promise<AcquiredSandbox>;
  /** Closes the session's sandbox (e.g. after a failed run), if any. */
  discard(sessionId: string): Promise<void>;
  /** Session ids with a live sandbox (the orphan reaper keeps these). */
  liveSessions(): string[];
  /** The live sandboxes and those starting, oldest first. */
  list(): SandboxSummary[];
  /** Stops a sandbox at once (a run in it fails and is retried); false when no sandbox has this id. */
  kill(id: string): Promise<boolean>;
  closeAll(): Promise<void>;
  /**
   * Runs one command to its end in a fresh sandbox of the group's userland (a media conversion): only the group
   * folder mounted (at `/workspace/group`), no network, no secrets. Absent on pools without sandboxes.
   */
  runTool?(request: ToolRunRequest): Promise<ToolRunResult>;
}

export interface ToolRunRequest {
  group: { id: string; folder: string };
  /** Program and arguments inside the sandbox (paths under `/workspace/group`). */
  command: readonly string[];
  timeoutMs: number;
  /** Stops the sandbox when aborted. */
  signal?: AbortSignal;
}

export interface ToolRunResult {
  /** Exit code; null when stopped or timed out. */
  code: number | null;
  /** The last part of stdout and stderr together. */
  output: string;
  timedOut: boolean;
}

export type SandboxState = 'starting' | 'busy' | 'idle';

/** One sandbox of the pool, as `nanoclaw sandbox list` and the dashboard show it. */
export interface SandboxSummary {
  /** Stable for the sandbox's life; a new sandbox of the same session gets a new one. */
  id: string;
  folder: string;
  /** The session's key (`main`, `task:<id>`, a thread's key). */
  session: string;
  provider: string;
  runtime: string;
  state: SandboxState;
  startedAt: number;
  lastActiveAt: number;
}

/** A sandbox started, began or ended a run, or stopped. */
export interface SandboxChange {
  id: string;
  folder: string;
  state: SandboxState | 'stopped';
}
