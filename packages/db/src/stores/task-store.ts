import {
  contextModeSchema,
  misfirePolicySchema,
  type ScheduledTask,
  scheduleSchema,
  TASK_STORE_SPEC_VERSION,
  type TaskPatch,
  type TaskRunLog,
  type TaskRunStatus,
  type TaskStatus,
  type TaskStore,
} from '@nanoclaw/core';
import { type Kysely, sql, type Updateable } from 'kysely';
import type { Database, ScheduledTaskRow, ScheduledTasksTable, TaskRunLogRow } from '../schema.js';

const TASK_STATUSES: readonly TaskStatus[] = ['active', 'paused', 'completed', 'cancelled'];
const RUN_STATUSES: readonly TaskRunStatus[] = ['running', 'succeeded', 'failed', 'interrupted', 'skipped'];

/**
 * The scheduler's `TaskStore` on the `scheduled_tasks` and `task_run_logs` tables. `claimRun` is one
 * transaction (advance the task + insert the run log), so a crash never leaves a due time both unrecorded and
 * advanced, or recorded and not advanced.
 */
export function createSqliteTaskStore(db: Kysely<Database>): TaskStore {
  return {
    specificationVersion: TASK_STORE_SPEC_VERSION,
    async insert(task) {
      await db.insertInto('scheduled_tasks').values(taskToRow(task)).execute();
    },
    async get(id) {
      const row = await db.selectFrom('scheduled_tasks').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? rowToTask(row) : undefined;
    },
    async list(filter = {}) {
      let query = db.selectFrom('scheduled_tasks').selectAll();
      if (filter.groupId !== undefined) query = query.where('group_id', '=', filter.groupId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.idPrefix !== undefined) {
        // substr, not LIKE: an id may hold `%` or `_`, and LIKE ignores case.
        const prefix = filter.idPrefix;
        query = query.where(sql`substr(id, 1, ${prefix.length})`, '=', prefix);
      }
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(rowToTask);
    },
    async update(id, patch) {
      await updateTask(db, id, patch);
    },
    async claimRun(taskId, patch, run) {
      await db.transaction().execute(async (trx) => {
        await updateTask(trx, taskId, patch);
        await trx.insertInto('task_run_logs').values(runToRow(run)).execute();
      });
    },
    async finishRun(runId, result) {
      const outcome = await db
        .updateTable('task_run_logs')
        .set({
          status: result.status,
          finished_at: result.finishedAt,
          duration_ms: result.durationMs,
          result_summary: result.resultSummary,
          error: result.error,
        })
        .where('id', '=', runId)
        .executeTakeFirst();
      if (outcome.numUpdatedRows === 0n) throw new Error(`no task run with id "${runId}"`);
    },
    async listRunning() {
      const rows = await db
        .selectFrom('task_run_logs')
        .selectAll()
        .where('status', '=', 'running')
        .orderBy('started_at')
        .execute();
      return rows.map(rowToRun);
    },
    async listRuns(filter) {
      let query = db.selectFrom('task_run_logs').selectAll();
      if (filter.taskId !== undefined) query = query.where('task_id', '=', filter.taskId);
      const rows = await query
        .orderBy('started_at', 'desc')
        .orderBy(sql`rowid`, 'desc')
        .limit(Math.max(0, Math.trunc(filter.limit)))
        .execute();
      return rows.map(rowToRun);
    },
  };
}

async function updateTask(db: Kysely<Database>, id: string, patch: TaskPatch): Promise<void> {
  const result = await db
    .updateTable('scheduled_tasks')
    .set(patchToRow(patch))
    .where('id', '=', id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new Error(`no scheduled task with id "${id}"`);
}

function taskToRow(task: ScheduledTask): ScheduledTasksTable {
  return {
    id: task.id,
    group_id: task.groupId,
    prompt: task.prompt,
    schedule: JSON.stringify(task.schedule),
    timezone: task.timezone,
    misfire_policy: task.misfirePolicy,
    context_mode: task.contextMode,
    status: task.status,
    next_run: task.nextRun,
    last_run: task.lastRun,
    created_by_group_id: task.createdByGroupId,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  };
}

function patchToRow(patch: TaskPatch): Updateable<ScheduledTasksTable> {
  const row: Updateable<ScheduledTasksTable> = { updated_at: patch.updatedAt };
  if (patch.prompt !== undefined) row.prompt = patch.prompt;
  if (patch.schedule !== undefined) row.schedule = JSON.stringify(patch.schedule);
  if (patch.timezone !== undefined) row.timezone = patch.timezone;
  if (patch.misfirePolicy !== undefined) row.misfire_policy = patch.misfirePolicy;
  if (patch.contextMode !== undefined) row.context_mode = patch.contextMode;
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.nextRun !== undefined) row.next_run = patch.nextRun;
  if (patch.lastRun !== undefined) row.last_run = patch.lastRun;
  return row;
}

function rowToTask(row: ScheduledTaskRow): ScheduledTask {
  return {
    id: row.id,
    groupId: row.group_id,
    prompt: row.prompt,
    schedule: scheduleSchema.parse(JSON.parse(row.schedule)),
    timezone: row.timezone,
    misfirePolicy: misfirePolicySchema.parse(row.misfire_policy),
    contextMode: contextModeSchema.parse(row.context_mode),
    status: oneOf(TASK_STATUSES, row.status, 'task status'),
    nextRun: row.next_run,
    lastRun: row.last_run,
    createdByGroupId: row.created_by_group_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function runToRow(run: TaskRunLog): TaskRunLogRow {
  return {
    id: run.id,
    task_id: run.taskId,
    scheduled_for: run.scheduledFor,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    status: run.status,
    late: run.late ? 1 : 0,
    duration_ms: run.durationMs,
    result_summary: run.resultSummary,
    error: run.error,
  };
}

function rowToRun(row: TaskRunLogRow): TaskRunLog {
  return {
    id: row.id,
    taskId: row.task_id,
    scheduledFor: row.scheduled_for,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: oneOf(RUN_STATUSES, row.status, 'task run status'),
    late: row.late === 1,
    durationMs: row.duration_ms,
    resultSummary: row.result_summary,
    error: row.error,
  };
}

function oneOf<T extends string>(allowed: readonly T[], value: string, what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`unknown ${what} "${value}" in the database`);
}
