import type { ResolvedRetry } from './options.js';

/**
 * Delay before the next try after `failedTries` tries failed: `baseDelayMs * factor^(failedTries - 1)`,
 * capped at `maxDelayMs`, spread by ±`jitter` (never above the cap, never below 0).
 */
export function backoffDelay(failedTries: number, retry: ResolvedRetry, random: () => number): number {
  const exponential = retry.baseDelayMs * retry.factor ** Math.max(0, failedTries - 1);
  const capped = Math.min(retry.maxDelayMs, exponential);
  const spread = capped * retry.jitter * (2 * clampUnit(random()) - 1);
  return Math.round(Math.min(retry.maxDelayMs, Math.max(0, capped + spread)));
}

function clampUnit(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5;
}
