/**
 * `@nanoclaw/scheduler`: `createScheduler` over a core `TaskStore` (a memory one here, SQLite in `@nanoclaw/db`),
 * its options, events and errors. Schedule parsing and validation stay inside: the scheduler does them.
 */
export type { SkipReason } from './due-plan.js';
export type { ValidationIssue } from './errors.js';
export {
  AmbiguousTaskIdError,
  ScheduleValidationError,
  TaskNotFoundError,
  UnsupportedTaskStoreError,
} from './errors.js';
export { createMemoryTaskStore } from './memory-task-store.js';
export { upcomingRunTimes } from './schedule.js';
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
