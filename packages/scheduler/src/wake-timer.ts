/** The longest delay `setTimeout` honours (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The scheduler's one timer. `arm(at)` replaces whatever was pending; delays beyond what `setTimeout` can hold
 * are chained (the timer wakes, sees it is early, and re-arms for the rest), so a task 60 days out is safe.
 * `onWake` runs only once the wall clock has reached `at`.
 */
export interface WakeTimer {
  arm(at: number | null): void;
  clear(): void;
  /** The due time the pending timer is for, or null when none is pending. */
  readonly armedFor: number | null;
}

export function createWakeTimer(
  onWake: () => void,
  options: { maxDelayMs?: number; now?: () => number } = {},
): WakeTimer {
  const maxDelay = Math.min(options.maxDelayMs ?? MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS);
  const now = options.now ?? Date.now;
  let handle: ReturnType<typeof setTimeout> | undefined;
  let armedFor: number | null = null;

  function clear(): void {
    if (handle !== undefined) clearTimeout(handle);
    handle = undefined;
    armedFor = null;
  }

  function fire(): void {
    const target = armedFor;
    handle = undefined;
    armedFor = null;
    if (target === null) return;
    if (now() < target) {
      arm(target);
      return;
    }
    onWake();
  }

  function arm(at: number | null): void {
    if (at === armedFor && handle !== undefined) return;
    clear();
    if (at === null) return;
    armedFor = at;
    const delay = Math.max(0, Math.min(at - now(), maxDelay));
    handle = setTimeout(fire, delay);
  }

  return {
    arm,
    clear,
    get armedFor() {
      return armedFor;
    },
  };
}
