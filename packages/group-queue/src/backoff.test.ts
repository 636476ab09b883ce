import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import type { ResolvedRetry } from './options.js';

const retry: ResolvedRetry = { maxTries: 5, baseDelayMs: 5000, factor: 2, maxDelayMs: 60_000, jitter: 0.2 };
const middle = () => 0.5;

describe('backoffDelay', () => {
  it('grows exponentially from the base delay', () => {
    expect([1, 2, 3, 4].map((tries) => backoffDelay(tries, retry, middle))).toEqual([
      5000, 10_000, 20_000, 40_000,
    ]);
  });

  it('caps at maxDelayMs', () => {
    expect(backoffDelay(10, retry, middle)).toBe(60_000);
  });

  it('spreads by ±jitter around the delay', () => {
    expect(backoffDelay(1, retry, () => 0)).toBe(4000);
    expect(backoffDelay(1, retry, () => 1)).toBe(6000);
    expect(backoffDelay(2, retry, () => 0.75)).toBe(11_000);
  });

  it('never exceeds the cap even with jitter', () => {
    expect(backoffDelay(10, retry, () => 1)).toBe(60_000);
    expect(backoffDelay(10, retry, () => 0)).toBe(48_000);
  });

  it('has no spread when jitter is 0, and treats a bad random value as the middle', () => {
    expect(backoffDelay(1, { ...retry, jitter: 0 }, () => 0)).toBe(5000);
    expect(backoffDelay(1, retry, () => Number.NaN)).toBe(5000);
  });
});
