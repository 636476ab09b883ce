import type { Logger, TaskStore } from '@nanoclaw/core';
import { createMemoryTaskStore } from './memory-task-store.js';
import { createScheduler } from './scheduler.js';
import type { Scheduler, SchedulerEvent, SchedulerOptions, TaskRun } from './types.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface RecordedRun extends TaskRun {
  /** `Date.now()` when the handler was called. */
  calledAt: number;
}

export interface Harness {
  store: TaskStore;
  scheduler: Scheduler;
  runs: RecordedRun[];
  events: SchedulerEvent[];
}

/** A scheduler over a memory store (or the given one) that records every run and event. Test-only. */
export function harness(overrides: Partial<SchedulerOptions> = {}, store?: TaskStore): Harness {
  const runs: RecordedRun[] = [];
  const events: SchedulerEvent[] = [];
  const taskStore = store ?? createMemoryTaskStore();
  const { onRun, ...rest } = overrides;
  const scheduler = createScheduler({
    store: taskStore,
    timezone: 'UTC',
    onEvent: (event) => events.push(event),
    onRun: (run) => {
      runs.push({ ...run, calledAt: Date.now() });
      return onRun?.(run);
    },
    ...rest,
  });
  return { store: taskStore, scheduler, runs, events };
}

export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** A logger that records the message of every line at the given levels (all by default). Test-only. */
export function recordingLogger(
  levels: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (bindings: unknown, message?: string) => {
    if (levels.includes(level)) lines.push(typeof bindings === 'string' ? bindings : (message ?? ''));
  };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
  };
  return { logger, lines };
}
