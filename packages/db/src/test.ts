/**
 * Helpers for tests against a NanoClaw database: `@nanoclaw/db/test`.
 */
import type { TaskRunLog } from '@nanoclaw/core';
import type { NanoclawDatabase } from './open-database.js';

/**
 * Inserts a plain agent group (`folder` and `name` = `id`, not main, no trigger, provider or container config),
 * so rows that reference it (tasks, queue items) can be stored.
 */
export async function insertAgentGroup(handle: NanoclawDatabase, id: string, at = 0): Promise<void> {
  await handle.db
    .insertInto('agent_groups')
    .values({
      id,
      folder: id,
      name: id,
      is_main: 0,
      trigger: null,
      agent_provider: null,
      container_config: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
}

/** A task run that has started and not finished yet (`startedAt` defaults to `scheduledFor`: on time). */
export function runningRun(
  id: string,
  taskId: string,
  scheduledFor: number,
  startedAt = scheduledFor,
): TaskRunLog {
  return {
    id,
    taskId,
    scheduledFor,
    startedAt,
    finishedAt: null,
    status: 'running',
    late: false,
    durationMs: null,
    resultSummary: null,
    error: null,
  };
}
