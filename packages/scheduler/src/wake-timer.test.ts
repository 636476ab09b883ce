import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWakeTimer, MAX_TIMER_DELAY_MS } from './wake-timer.js';

const DAY = 86_400_000;

describe('createWakeTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2025-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('wakes exactly at the armed time, with one pending timer', () => {
    const wakes: number[] = [];
    const timer = createWakeTimer(() => wakes.push(Date.now()));
    const at = Date.now() + 1234;
    timer.arm(at);
    timer.arm(at);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1233);
    expect(wakes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(wakes).toEqual([at]);
    expect(timer.armedFor).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arming replaces the pending timer', () => {
    const wakes: number[] = [];
    const timer = createWakeTimer(() => wakes.push(Date.now()));
    const start = Date.now();
    timer.arm(start + 5000);
    timer.arm(start + 1000);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(wakes).toEqual([start + 1000]);
    timer.arm(start + 20_000);
    timer.clear();
    vi.advanceTimersByTime(20_000);
    expect(wakes).toEqual([start + 1000]);
  });

  it('chains timers for a wake 60 days out (beyond the 24.8-day setTimeout limit)', () => {
    const wakes: number[] = [];
    const timer = createWakeTimer(() => wakes.push(Date.now()));
    const at = Date.now() + 60 * DAY;
    timer.arm(at);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(wakes).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(30 * DAY);
    expect(wakes).toEqual([]);
    vi.advanceTimersByTime(at - Date.now() - 1);
    expect(wakes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(wakes).toEqual([at]);
  });

  it('re-arms instead of waking when the clock says it is still early', () => {
    const wakes: number[] = [];
    const timer = createWakeTimer(() => wakes.push(Date.now()));
    const at = Date.now() + 1000;
    timer.arm(at);
    vi.setSystemTime(Date.now() - 500); // the wall clock was stepped back
    vi.advanceTimersByTime(1000);
    expect(wakes).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(wakes).toEqual([at]);
  });
});
