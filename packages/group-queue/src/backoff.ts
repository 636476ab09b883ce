import { backoffDelay as coreBackoffDelay } from '@nanoclaw/core';
import type { ResolvedRetry } from './options.js';

/**
 * Delay before the next try after `failedTries` tries failed: `baseDelayMs * factor^(failedTries - 1)`,
 * capped at `maxDelayMs`, spread by ±`jitter` (never above the cap, never below 0).
 */
export function backoffDelay(failedTries: number, retry: ResolvedRetry, random: () => number): number {
  return coreBackoffDelay(
    failedTries - 1,
    { baseMs: retry.baseDelayMs, maxMs: retry.maxDelayMs, factor: retry.factor, jitter: retry.jitter },
    random,
  );
}
