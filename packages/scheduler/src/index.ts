export type { SkipReason } from './due-plan.js';
export type { ValidationIssue } from './errors.js';
export {
  AmbiguousTaskIdError,
  ScheduleValidationError,
  TaskNotFoundError,
  UnsupportedTaskStoreError,
} from './errors.js';
export { createMemoryTaskStore } from './memory-task-store.js';
export type { OnceTime } from './once-time.js';
export { MAX_ONCE_YEAR, parseOnceTime } from './once-time.js';
export { firstRunTime } from './schedule.js';
export { createScheduler, MIN_ID_PREFIX } from './scheduler.js';
export type {
  CreateTaskOptions,
  RunHandler,
  RunOutcome,
  Scheduler,
  SchedulerEvent,
  SchedulerOptions,
  StartReport,
  TaskChanges,
  TaskRun,
} from './types.js';
export type { ValidationLimits, ValidTask } from './validate-task.js';
export { defaultMisfirePolicy, MAX_INTERVAL_MS, validateTask } from './validate-task.js';
export { MAX_TIMER_DELAY_MS } from './wake-timer.js';
export type { WallTime } from './zoned-time.js';
export { wallTimeToEpoch } from './zoned-time.js';
