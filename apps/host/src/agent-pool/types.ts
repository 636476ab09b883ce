import type { ActionHandler, AgentSandbox } from '@nanoclaw/container-runner';
import type { ProviderEgress } from '@nanoclaw/core';

/**
 * What the host needs to know of a provider to run it in a sandbox: a `ProviderHostContribution` from the
 * provider's package fits as it is.
 */
export interface ProviderSandboxProfile {
  /** Host env keys passed into the sandbox when set (secrets by explicit allowlist only). */
  readonly envAllowlist: readonly string[];
  /**
   * The allowlisted keys that hold a credential: an isolated sandbox gets each only as a route's placeholder or a
   * named exception; the rest are withheld. Other allowlisted keys (models, URLs, thresholds) pass as they are.
   */
  readonly credentialEnvKeys: readonly string[];
  /** The runtime's state directory under HOME, e.g. `.codex`; kept per session. */
  readonly homeDir: string;
  /**
   * Fills the session's provider home before each cold spawn (auth copy, config); `egress` is true when the
   * sandbox's model traffic goes through the host proxy (credentials it routes must not be copied).
   */
  prepareHome?(options: {
    homePath: string;
    env: Readonly<Record<string, string | undefined>>;
    egress?: boolean;
  }): Promise<void>;
  /** The model traffic of an isolated sandbox (routes, CONNECT hosts, exceptions); absent: none. */
  egress?(env: Readonly<Record<string, string | undefined>>): ProviderEgress;
  /** The runtime's native program on the host; its folder is mounted read-only, its path passed in `envKey`. */
  resolveBinary?(): { path: string; envKey: string };
}

export interface AcquireRequest {
  group: { id: string; folder: string; isMain: boolean };
  session: { id: string };
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
  closeAll(): Promise<void>;
}
