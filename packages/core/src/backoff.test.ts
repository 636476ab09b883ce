import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const middle = () => 0.5;

describe('backoffDelay', () => {
  it('grows by the factor from the base delay up to the cap', () => {
    const policy = { baseMs: 1_000, maxMs: 10_000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, middle))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000,
    ]);
    expect(backoffDelay(2, { ...policy, factor: 3 }, middle)).toBe(9_000);
    expect(backoffDelay(-1, policy, middle)).toBe(1_000);
  });

  it('spreads by ± jitter, never above the cap nor below 0', () => {
    const policy = { baseMs: 1_000, maxMs: 10_000, jitter: 0.2 };
    expect(backoffDelay(2, policy, () => 0)).toBe(3_200);
    expect(backoffDelay(2, policy, () => 1)).toBe(4_800);
    expect(backoffDelay(9, policy, () => 1)).toBe(10_000);
    expect(backoffDelay(2, { ...policy, jitter: 5 }, () => 0)).toBe(0);
  });

  it('with jitterMode below, takes up to jitter off the delay', () => {
    const policy = { baseMs: 100, maxMs: 60_000, jitter: 0.5, jitterMode: 'below' as const };
    expect(backoffDelay(2, policy, () => 0)).toBe(200);
    expect(backoffDelay(2, policy, () => 0.999_999)).toBe(400);
    expect(backoffDelay(2, { ...policy, jitter: 1 }, () => 0)).toBe(0);
  });

  it('takes the middle for a random draw that is not a number', () => {
    expect(backoffDelay(0, { baseMs: 5_000, maxMs: 60_000, jitter: 0.2 }, () => Number.NaN)).toBe(5_000);
  });
});
