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
