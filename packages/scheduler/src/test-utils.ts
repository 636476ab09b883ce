import type { Logger, TaskStore } from '@nanoclaw/core';
import { type LogLine, memoryLogger } from '@nanoclaw/testing';
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

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** A logger recording the lines at the given levels (all by default); `messages()` lists their messages. */
export function recordingLogger(levels: readonly string[] = LEVELS): {
  logger: Logger;
  messages: () => string[];
} {
  const lines: LogLine[] = [];
  const logger = memoryLogger(lines, {}, { skip: LEVELS.filter((level) => !levels.includes(level)) });
  return { logger, messages: () => lines.map((line) => line.message) };
}
