/** Exponential backoff with jitter: reconnects, delivery retries and queue retries all wait by it. */
export interface BackoffPolicy {
  /** The delay before the first retry, before jitter. */
  baseMs: number;
  /** The longest delay, jitter included. */
  maxMs: number;
  /** Growth per retry (default 2). */
  factor?: number;
  /** The random fraction of the delay, 0..1 (default 0). */
  jitter?: number;
  /**
   * `'spread'` (default): ± `jitter` around the delay. `'below'`: the delay minus up to `jitter` of it
   * ("equal jitter"), so it never exceeds the exponential value.
   */
  jitterMode?: 'spread' | 'below';
}

/**
 * The delay before retry number `retry` (0 = the first retry): `min(maxMs, baseMs × factor^retry)`, jittered,
 * so that a fleet of clients does not retry in lockstep; never below 0 nor above `maxMs`.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * (policy.factor ?? 2) ** Math.max(0, retry));
  const jitter = clampUnit(policy.jitter ?? 0, 0);
  const draw = clampUnit(random(), 0.5);
  const offset = policy.jitterMode === 'below' ? draw - 1 : 2 * draw - 1;
  return Math.round(Math.min(policy.maxMs, Math.max(0, exponential * (1 + jitter * offset))));
}

function clampUnit(value: number, fallback: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : fallback;
}
