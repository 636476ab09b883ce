import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep, type Timers } from './backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially to the cap', () => {
    const noJitter = { jitter: 0, baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, noJitter))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('spreads the jitter fraction between half and the full delay by default', () => {
    expect(backoffDelay(2, { baseMs: 100 }, () => 0)).toBe(200);
    expect(backoffDelay(2, { baseMs: 100 }, () => 0.999_999)).toBe(400);
    expect(backoffDelay(2, { baseMs: 100, jitter: 1 }, () => 0)).toBe(0);
  });
});

describe('sleep', () => {
  it('waits on the given timers and ends early on abort', async () => {
    const pending: Array<() => void> = [];
    const timers: Timers = { setTimeout: (fn) => pending.push(fn), clearTimeout: () => {} };
    let done = false;
    const waiting = sleep(1000, timers).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    pending[0]?.();
    await waiting;
    expect(done).toBe(true);

    const controller = new AbortController();
    const aborted = sleep(60_000, timers, controller.signal);
    controller.abort();
    await aborted;
    await sleep(10, timers, controller.signal);
  });
});
