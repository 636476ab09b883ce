import {
  type ScheduledTask,
  TASK_STORE_SPEC_VERSION,
  type TaskPatch,
  type TaskRunLog,
  type TaskStore,
} from '@nanoclaw/core';

type RunResult = Parameters<TaskStore['finishRun']>[1];

/**
 * A `TaskStore` in process memory: for tests, and for a bot that can live without durability. Values are
 * copied in and out, so callers never share objects with the store.
 */
export function createMemoryTaskStore(): TaskStore {
  const tasks = new Map<string, ScheduledTask>();
  const runs = new Map<string, TaskRunLog>();

  function requireTask(id: string): ScheduledTask {
    const task = tasks.get(id);
    if (!task) throw new Error(`no scheduled task with id "${id}"`);
    return task;
  }

  return {
    specificationVersion: TASK_STORE_SPEC_VERSION,
    async insert(task) {
      if (tasks.has(task.id)) throw new Error(`a scheduled task with id "${task.id}" already exists`);
      tasks.set(task.id, structuredClone(task));
    },
    async get(id) {
      const task = tasks.get(id);
      return task ? structuredClone(task) : undefined;
    },
    async list(filter = {}) {
      return [...tasks.values()]
        .filter((task) => filter.groupId === undefined || task.groupId === filter.groupId)
        .filter((task) => filter.status === undefined || task.status === filter.status)
        .filter((task) => filter.idPrefix === undefined || task.id.startsWith(filter.idPrefix))
        .map((task) => structuredClone(task));
    },
    async update(id, patch) {
      applyPatch(requireTask(id), patch);
    },
    async claimRun(taskId, patch, run) {
      const task = requireTask(taskId);
      if (runs.has(run.id)) throw new Error(`a task run with id "${run.id}" already exists`);
      applyPatch(task, patch);
      runs.set(run.id, structuredClone(run));
    },
    async finishRun(runId, result) {
      const run = runs.get(runId);
      if (!run) throw new Error(`no task run with id "${runId}"`);
      applyResult(run, result);
    },
    async listRunning() {
      return [...runs.values()].filter((run) => run.status === 'running').map((run) => structuredClone(run));
    },
    async listRuns(filter) {
      const matching = [...runs.values()].filter(
        (run) => filter.taskId === undefined || run.taskId === filter.taskId,
      );
      return matching
        .reverse()
        .sort((a, b) => b.startedAt - a.startedAt)
        .slice(0, Math.max(0, filter.limit))
        .map((run) => structuredClone(run));
    },
  };
}

function applyPatch(task: ScheduledTask, patch: TaskPatch): void {
  const { schedule, ...rest } = patch;
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) Object.assign(task, { [key]: value });
  }
  if (schedule !== undefined) task.schedule = structuredClone(schedule);
}

function applyResult(run: TaskRunLog, result: RunResult): void {
  run.status = result.status;
  run.finishedAt = result.finishedAt;
  run.durationMs = result.durationMs;
  run.resultSummary = result.resultSummary;
  run.error = result.error;
}
