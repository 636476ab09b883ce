import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, decideAfterError } from './retry-policy.js';

const options = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 10_000, jitter: 0.2 };
const middle = () => 0.5;

describe('backoffDelay', () => {
  it('doubles per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, options, middle))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000,
    ]);
  });

  it('spreads by ± jitter', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(3_200);
    expect(backoffDelay(3, options, () => 1)).toBe(4_800);
    expect(backoffDelay(3, { ...options, jitter: 0 }, () => 1)).toBe(4_000);
  });
});

describe('decideAfterError', () => {
  it('retries with backoff until the attempts are used up', () => {
    expect(decideAfterError(1, new Error('x'), options, middle)).toEqual({ kind: 'retry', delayMs: 1_000 });
    expect(decideAfterError(5, new Error('x'), options, middle)).toEqual({
      kind: 'fail',
      reason: 'max-attempts',
    });
  });

  it('waits at least retryAfterMs, and gives up on a permanent error', () => {
    const limited = Object.assign(new Error('429'), { retryAfterMs: 30_000 });
    expect(decideAfterError(1, limited, options, middle)).toEqual({ kind: 'retry', delayMs: 30_000 });
    const short = Object.assign(new Error('429'), { retryAfterMs: 10 });
    expect(decideAfterError(2, short, options, middle)).toEqual({ kind: 'retry', delayMs: 2_000 });
    const gone = Object.assign(new Error('chat not found'), { permanent: true });
    expect(decideAfterError(1, gone, options, middle)).toEqual({ kind: 'fail', reason: 'permanent' });
  });

  it('ignores malformed error info', () => {
    const odd = Object.assign(new Error('x'), { retryAfterMs: -1, permanent: 'yes' });
    expect(decideAfterError(1, odd, options, middle)).toEqual({ kind: 'retry', delayMs: 1_000 });
  });

  it('has sane defaults', () => {
    expect(DEFAULT_RETRY.maxAttempts).toBeGreaterThan(1);
  });
});
