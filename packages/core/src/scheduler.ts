import { z } from 'zod';
import { timezoneSchema } from './names.js';

export const TASK_STORE_SPEC_VERSION = 'v1' as const;

/** When a task runs. */
export const scheduleSchema = z.discriminatedUnion('kind', [
  /** 5 fields (minute first) or 6 (seconds first), read in the task's time zone. */
  z.strictObject({ kind: z.literal('cron'), expression: z.string().min(1).max(200) }),
  /** Every `everyMs`, anchored to the previous scheduled time (no drift). */
  z.strictObject({ kind: z.literal('interval'), everyMs: z.number().int() }),
  /** Once, at an ISO 8601 time. Without an offset it is read in the task's time zone. */
  z.strictObject({ kind: z.literal('once'), at: z.string().min(1).max(64) }),
]);
export type Schedule = z.infer<typeof scheduleSchema>;

/** After downtime: `skip` to the next future time, or `run-once` now. */
export const misfirePolicySchema = z.enum(['skip', 'run-once']);
export type MisfirePolicy = z.infer<typeof misfirePolicySchema>;

/** `group` reuses the group's session; `isolated` starts a fresh session for each run. */
export const contextModeSchema = z.enum(['group', 'isolated']);
export type ContextMode = z.infer<typeof contextModeSchema>;

export type TaskStatus = 'active' | 'paused' | 'completed' | 'cancelled';

export interface ScheduledTask {
  id: string;
  groupId: string;
  prompt: string;
  schedule: Schedule;
  timezone: string;
  misfirePolicy: MisfirePolicy;
  contextMode: ContextMode;
  status: TaskStatus;
  /** Epoch ms of the next run; null when nothing is due any more. */
  nextRun: number | null;
  lastRun: number | null;
  /** Which group created it (for authorization: a non-main group manages only its own). */
  createdByGroupId: string | null;
  createdAt: number;
  updatedAt: number;
}

export const newTaskSchema = z.strictObject({
  id: z.string().min(1).max(128).optional(),
  groupId: z.string().min(1),
  prompt: z.string().min(1).max(100_000),
  schedule: scheduleSchema,
  timezone: timezoneSchema.optional(),
  misfirePolicy: misfirePolicySchema.optional(),
  contextMode: contextModeSchema.default('group'),
  createdByGroupId: z.string().nullable().default(null),
});
export type NewTask = z.input<typeof newTaskSchema>;

export type TaskRunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'skipped';

export interface TaskRunLog {
  id: string;
  taskId: string;
  /** The time the run was due (epoch ms). */
  scheduledFor: number;
  startedAt: number;
  finishedAt: number | null;
  status: TaskRunStatus;
  /** Started after downtime, later than it was due. */
  late: boolean;
  durationMs: number | null;
  resultSummary: string | null;
  error: string | null;
}

export interface TaskPatch {
  prompt?: string;
  schedule?: Schedule;
  timezone?: string;
  misfirePolicy?: MisfirePolicy;
  contextMode?: ContextMode;
  status?: TaskStatus;
  nextRun?: number | null;
  lastRun?: number | null;
  updatedAt: number;
}

/** Durable storage for the scheduler. */
export interface TaskStore {
  readonly specificationVersion: typeof TASK_STORE_SPEC_VERSION;
  insert(task: ScheduledTask): Promise<void>;
  get(id: string): Promise<ScheduledTask | undefined>;
  /** `idPrefix`: only tasks whose id starts with it (case-sensitive), as the CLI's short ids are resolved. */
  list(filter?: { groupId?: string; status?: TaskStatus; idPrefix?: string }): Promise<ScheduledTask[]>;
  update(id: string, patch: TaskPatch): Promise<void>;
  /**
   * Atomically: advance the task (`nextRun`, `lastRun`, `status`) and insert the run log with status
   * `running`. Both or neither, so a crash after this never fires the same due time twice. The scheduler also
   * uses it to record due times it did not run (a log with status `skipped`, already finished) together with
   * the schedule advancing past them. Throws when the task does not exist.
   */
  claimRun(taskId: string, patch: TaskPatch, run: TaskRunLog): Promise<void>;
  finishRun(
    runId: string,
    result: Pick<TaskRunLog, 'status' | 'finishedAt' | 'durationMs' | 'resultSummary' | 'error'>,
  ): Promise<void>;
  /** Runs still marked `running` (left over by a crash when called at start-up). */
  listRunning(): Promise<TaskRunLog[]>;
  listRuns(filter: { taskId?: string; limit: number }): Promise<TaskRunLog[]>;
}
