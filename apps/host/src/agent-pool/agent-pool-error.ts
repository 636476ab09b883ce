import { NanoclawError } from '@nanoclaw/core';

export type AgentPoolErrorCode =
  | 'closed'
  | 'unknown-provider'
  | 'session-busy'
  | 'runner-missing'
  | 'mount-unreachable'
  /** The group's `packages` cannot be installed (a package that does not exist, no way to build here). */
  | 'invalid-packages'
  /** The group's `skills` setting names a skill that exists neither globally nor in the group. */
  | 'invalid-skills'
  /**
   * The agent userland could not be built (the mirror did not answer, the disk is full, an install script
   * failed): answered at once with the cause and the next step; the next message tries again (after a minute).
   */
  | 'userland-failed'
  /** A one-shot tool run was asked of a runtime without sandboxes (process). */
  | 'no-sandbox';

const marker = 'nanoclaw.error.agent-pool';
const symbol = Symbol.for(marker);

/** Why the pool could not give a session its sandbox. */
export class AgentPoolError extends NanoclawError<AgentPoolErrorCode> {
  readonly [symbol] = true;
  override readonly name = 'AgentPoolError';
  constructor(code: AgentPoolErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
  }

  /** True for an `AgentPoolError` from any copy of this package. */
  static override isInstance(error: unknown): error is AgentPoolError {
    return NanoclawError.hasMarker(error, marker);
  }
}

export function isAgentPoolError(error: unknown): error is AgentPoolError {
  return AgentPoolError.isInstance(error);
}
