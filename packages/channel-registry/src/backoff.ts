import { backoffDelay as coreBackoffDelay } from '@nanoclaw/core';

/** Exponential backoff with jitter, for reconnects. */
export interface BackoffOptions {
  /** First delay before jitter (default 1 s). */
  baseMs?: number;
  /** Cap before jitter (default 60 s). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Fraction of the delay that is random (0 = none, 1 = full jitter; default 0.5, "equal jitter"). */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  baseMs: 1000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.5,
};

/** The delay before retry number `attempt` (0 = the first retry): core's backoff with equal jitter. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { baseMs, maxMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options };
  return coreBackoffDelay(attempt, { baseMs, maxMs, factor, jitter, jitterMode: 'below' }, random);
}

/** The timer functions the supervisor and adapters use; tests pass fakes. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Waits `ms` on `timers`; an aborted signal ends the wait early (resolves, never rejects). */
export function sleep(ms: number, timers: Timers = realTimers, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const handle = timers.setTimeout(done, ms);
    const onAbort = () => {
      timers.clearTimeout(handle);
      done();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
