import type { Logger, SessionOptions } from '@nanoclaw/core';
import type { LoopSessionInit } from './loop-session.js';

/** What every provider resolves for a session it opens (each provider's init adds its own runtime's fields). */
export interface ProviderSessionInit extends LoopSessionInit {
  /** The options the host asked for. */
  options: SessionOptions;
  logger: Logger;
  /** How long the runtime may take to start. */
  startTimeoutMs: number;
  /** How long an interrupted turn may take to end before the runtime is restarted. */
  interruptTimeoutMs: number;
  /** How long a compaction may take. */
  compactTimeoutMs: number;
}
