import { channelErrorInfo } from '@nanoclaw/channel-registry';
import { backoffDelay as coreBackoffDelay } from '@nanoclaw/core';

export interface RetryOptions {
  /** Sends tried before a message is `failed`. Default 6. */
  maxAttempts: number;
  /** First retry delay (ms); doubles per attempt. Default 2,000. */
  baseDelayMs: number;
  /** Longest backoff (ms). Default 10 minutes. */
  maxDelayMs: number;
  /** ± this fraction of the delay is random (0..1). Default 0.2. */
  jitter: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 6,
  baseDelayMs: 2_000,
  maxDelayMs: 10 * 60_000,
  jitter: 0.2,
};

export type SendDecision =
  | { kind: 'retry'; delayMs: number }
  | { kind: 'fail'; reason: 'permanent' | 'max-attempts' };

/** Exponential backoff with jitter for the attempt that just failed (1-based). */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number): number {
  const policy = { baseMs: options.baseDelayMs, maxMs: options.maxDelayMs, jitter: options.jitter };
  return coreBackoffDelay(attempt - 1, policy, random);
}

/**
 * After a failed send: give up when the adapter says retrying cannot help or the attempts are used up;
 * otherwise wait the backoff, or longer when the platform asked (`retryAfterMs`).
 */
export function decideAfterError(
  attempts: number,
  error: unknown,
  options: RetryOptions,
  random: () => number,
): SendDecision {
  const info = channelErrorInfo(error);
  if (info.permanent) return { kind: 'fail', reason: 'permanent' };
  if (attempts >= options.maxAttempts) return { kind: 'fail', reason: 'max-attempts' };
  return {
    kind: 'retry',
    delayMs: Math.max(backoffDelay(attempts, options, random), info.retryAfterMs ?? 0),
  };
}
