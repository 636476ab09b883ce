import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TurnClock } from './turn-clock.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('TurnClock', () => {
  it('fires after the timeout; a restart gives the full time again', () => {
    const fired = vi.fn();
    const clock = new TurnClock(1_000, fired);
    clock.restart();
    vi.advanceTimersByTime(900);
    clock.restart();
    vi.advanceTimersByTime(900);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('nested holds stop it until the last is released, which gives back only the time left', () => {
    const fired = vi.fn();
    const clock = new TurnClock(1_000, fired);
    clock.restart();
    vi.advanceTimersByTime(700);
    const first = clock.hold();
    const second = clock.hold();
    vi.advanceTimersByTime(10_000);
    first();
    first();
    vi.advanceTimersByTime(10_000);
    expect(fired).not.toHaveBeenCalled();
    second();
    vi.advanceTimersByTime(299);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('a turn boundary during a hold waits for the release, then runs the full timeout', () => {
    const fired = vi.fn();
    const clock = new TurnClock(1_000, fired);
    clock.restart();
    const release = clock.hold();
    clock.restart();
    vi.advanceTimersByTime(5_000);
    release();
    vi.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('never fires once the run ended, even when a hold is released after', () => {
    const fired = vi.fn();
    const clock = new TurnClock(1_000, fired);
    clock.restart();
    const release = clock.hold();
    clock.end();
    release();
    vi.advanceTimersByTime(5_000);
    expect(fired).not.toHaveBeenCalled();
  });
});
