import type {
  ContextMode,
  Logger,
  MisfirePolicy,
  NewTask,
  Schedule,
  ScheduledTask,
  TaskRunLog,
  TaskStatus,
  TaskStore,
} from '@nanoclaw/core';
import type { SkipReason } from './due-plan.js';

/** One run handed to `onRun`. It is already recorded (`running`) and the task already advanced. */
export interface TaskRun {
  runId: string;
  taskId: string;
  groupId: string;
  prompt: string;
  contextMode: ContextMode;
  /** The due time this run is for (epoch ms). */
  scheduledFor: number;
  startedAt: number;
  /** Started after downtime, later than it was due (misfire policy `run-once`, or a missed once-task). */
  late: boolean;
  /** A copy of the task as it was when the run was claimed. */
  task: ScheduledTask;
}

/** How a run ended. `summary` and `error` are stored truncated to 4,000 characters. */
export type RunOutcome =
  | { status: 'succeeded'; summary?: string }
  | { status: 'failed'; error: string; summary?: string };

/**
 * Receives each due run. The scheduler never runs agents itself.
 * - Return (or resolve to) a `RunOutcome` and the run is finished with it.
 * - Throw or reject and the run is `failed` with the error's message.
 * - Return nothing: with `completion: 'auto'` (default) the run `succeeded` when the returned promise settles;
 *   with `completion: 'manual'` it stays `running` until you call `scheduler.completeRun(runId, outcome)`.
 */
export type RunHandler = (
  run: TaskRun,
  // biome-ignore lint/suspicious/noConfusingVoidType: lets plain `async (run) => { ... }` handlers (Promise<void>) fit.
) => RunOutcome | undefined | Promise<RunOutcome | undefined | void> | void;

export interface SchedulerOptions {
  store: TaskStore;
  onRun: RunHandler;
  /** What a handler that returns nothing means; see `RunHandler`. Default `auto`. */
  completion?: 'auto' | 'manual';
  /** IANA zone for tasks that name none. Default: the process's zone (`Intl`), else `UTC`. */
  timezone?: string;
  /** Refuse once-times in the past. Default false: a past once-time runs at once. */
  strict?: boolean;
  /**
   * How late a due time may be and still count as on time (ms). Later than this it is a misfire and the task's
   * misfire policy applies. Default 60,000.
   */
  misfireGraceMs?: number;
  /** Shortest interval accepted (ms). Default 1,000. */
  minIntervalMs?: number;
  /** When a store write for a due task fails, try again after this long (ms). Default 5,000. */
  retryDelayMs?: number;
  /** Longest single timer (ms); longer waits are chained. Default and maximum 2^31-1 (about 24.8 days). */
  maxTimerDelayMs?: number;
  logger?: Logger;
  /** Called synchronously for every event; exceptions are logged and ignored. */
  onEvent?: (event: SchedulerEvent) => void;
  /** Ids for tasks without one, and for runs. Default `crypto.randomUUID`. */
  generateId?: () => string;
}

/** Editable parts of a task. The schedule is re-validated and the next run recomputed when it or the zone changes. */
export interface TaskChanges {
  prompt?: string;
  schedule?: Schedule;
  timezone?: string;
  misfirePolicy?: MisfirePolicy;
  contextMode?: ContextMode;
}

export interface CreateTaskOptions {
  /** Overrides the scheduler's `strict` for this call. */
  strict?: boolean;
}

/** What `start()` found. */
export interface StartReport {
  /** Active tasks loaded into the timer queue. */
  tasks: number;
  /** Runs left `running` by the previous process, now marked `interrupted`. */
  interrupted: number;
  /** Interrupted runs fired again because their task's misfire policy is `run-once`. */
  rerun: number;
}

export type SchedulerEvent =
  | { type: 'run-start'; run: TaskRun }
  | {
      type: 'run-end';
      runId: string;
      taskId: string;
      status: 'succeeded' | 'failed';
      durationMs: number;
      error: string | null;
    }
  | { type: 'run-interrupt'; runId: string; taskId: string; scheduledFor: number }
  | {
      type: 'task-skip';
      taskId: string;
      reason: SkipReason;
      count: number;
      firstScheduledFor: number;
      lastScheduledFor: number;
    }
  | {
      type: 'task-create' | 'task-update' | 'task-pause' | 'task-resume' | 'task-cancel';
      task: ScheduledTask;
    }
  | { type: 'task-complete'; taskId: string }
  | { type: 'store-error'; taskId: string; error: unknown; retryAt: number };

export interface Scheduler {
  /**
   * Recovers from the previous process (marks leftover `running` runs `interrupted`, applies misfire policies),
   * loads active tasks and arms the timer. Resolves once overdue tasks have been dealt with.
   */
  start(): Promise<StartReport>;
  /** Disarms the timer and waits for pending store writes. Runs already handed out may still be completed. */
  stop(): Promise<void>;
  /** Validates and stores a task. Throws `ScheduleValidationError` (nothing stored) on bad input. */
  createTask(input: NewTask, options?: CreateTaskOptions): Promise<ScheduledTask>;
  /**
   * What `createTask` would store (validated the same way, `nextRun` computed; the id is `input.id` or ''),
   * without storing it. Throws `ScheduleValidationError` on bad input.
   */
  previewTask(input: NewTask, options?: CreateTaskOptions): ScheduledTask;
  /** Throws `TaskNotFoundError`, or `ScheduleValidationError` for bad changes or a cancelled task. */
  updateTask(id: string, changes: TaskChanges): Promise<ScheduledTask>;
  pauseTask(id: string): Promise<ScheduledTask>;
  /** Continues from the first due time after now (keeps an interval's phase); missed times are not run. */
  resumeTask(id: string): Promise<ScheduledTask>;
  cancelTask(id: string): Promise<ScheduledTask>;
  getTask(id: string): Promise<ScheduledTask | undefined>;
  listTasks(filter?: { groupId?: string; status?: TaskStatus }): Promise<ScheduledTask[]>;
  /** Newest first. */
  listRuns(filter: { taskId?: string; limit: number }): Promise<TaskRunLog[]>;
  /**
   * Reports how a handed-out run ended. Resolves false if the run is unknown or already finished (e.g. it was
   * handed out before a restart and is now `interrupted`).
   */
  completeRun(runId: string, outcome: RunOutcome): Promise<boolean>;
  /** Ids of runs handed out and not yet finished. */
  activeRuns(): string[];
  /** The due time the pending timer is armed for; null when none. */
  nextWakeAt(): number | null;
}
